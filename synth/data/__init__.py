"""Frequency tables and reference data for the generator (package so the CSVs ship in a wheel)."""
