"""What a caller may see and what is recorded of it: roles and purposes, force scoping of people,
events and list rows, the leak guard on disclosure answers, the s.62 audit log and the route class
that writes it, Clare's Law clocks."""
