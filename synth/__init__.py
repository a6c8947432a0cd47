"""Seeded synthetic force and court extracts with ground truth, for demos, tests and benchmarks.

Entry points: ``synth.generate.generate(out_dir, people, seed)`` and ``synth.generate.main``.
See synth/README.md for what each output file holds.
"""
