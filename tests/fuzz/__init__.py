"""Fuzzing: the atheris target of the container and decoders, its corpus and crashers, and the
layouts of the C targets' inputs (``csrc/fuzz/``)."""
