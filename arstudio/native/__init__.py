"""Small C kernels for the hottest loops, compiled on first use with the system's C compiler.

Each kernel has a pure-PyTorch twin that gives the same results to float rounding, so ARStudio works
without a compiler (Windows without build tools, the frozen app) and with ``ARSTUDIO_NATIVE=off``.
"""
