"""Reference data every layer may use: the bottom of the import graph (it imports no other
package of the project)."""
