"""One module per extracted field; each exposes ``read(lines, template, ...)``."""
