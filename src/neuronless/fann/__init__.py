"""FANN compatibility: FANN's ``.net`` files, its training algorithms and cascade training.

Contract: everything a FANN (libfann 2.2) user needs to bring their nets and habits over.
Optional comparison against the real library lives in :mod:`neuronless.fann.libfann`
(ctypes, only when Debian's ``libfann-dev`` is installed).
"""
