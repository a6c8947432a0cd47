"""What a caller may see and what is recorded of it: roles and purposes, force scoping of people,
events and list rows, the leak guard on disclosure answers, the s.62 audit log (its hash chain;
``api.routing`` writes each request's record), Clare's Law clocks. Rules only: nothing here
depends on FastAPI's request handling."""
