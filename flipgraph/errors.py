"""Exceptions. Every error caused by bad input derives from FlipgraphError; the CLI prints its
message on one line and exits with code 2."""


class FlipgraphError(Exception):
    """Bad input to flipgraph: a malformed file, an unknown format or ring, an invalid argument."""


class SchemeError(FlipgraphError, ValueError):
    """A scheme's data is inconsistent: wrong shapes, coefficients outside the ring."""


class FormatError(FlipgraphError, ValueError):
    """A scheme file could not be parsed; the message names the file and line or key."""


class OperandError(FlipgraphError, ValueError):
    """Operands a multiply cannot take: shapes that do not multiply, an unsupported dtype, a
    scheme with fractions on integers, a wrong ``out``."""
