"""Known worlds and the tools that show them, outside the product: sample builders with their
truth for the tests and benchmarks (``linkage``, ``graph``, ``api``, ``pages``), the API tests'
helpers (``testing``), the browser harness and the README's screenshots, and ``make demo``
(``demo``, ``demo_api``).

Left out of the wheel (``pyproject.toml`` lists the product's packages only) and run from the
repository; what they need beyond the product is the ``worlds`` extra. The product never imports
them.
"""
