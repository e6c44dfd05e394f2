"""Value types of data and expressions, and which supports they fit."""

from __future__ import annotations

import enum

__all__ = ["VType", "Support", "DATA_TYPES", "fits_support", "arith_type", "support_vtype"]


class VType(enum.Enum):
    """The value type of a datum or an expression."""

    REAL = "real"
    POSITIVE = "positive"
    UNIT = "unit"
    INT = "int"
    COUNT = "count"
    BOOL = "bool"
    FACTOR = "factor"

    @property
    def is_integer(self) -> bool:
        return self in (VType.INT, VType.COUNT, VType.BOOL, VType.FACTOR)

    def __str__(self) -> str:
        return self.value


DATA_TYPES = {t.value: t for t in VType}


class Support(enum.Enum):
    """What values a distribution puts mass on."""

    REAL = "real"
    POSITIVE = "positive"  # (0, inf)
    UNIT = "unit"  # (0, 1) or [0, 1]
    BOUNDED = "an interval"  # Uniform, VonMises: real values, bounds checked by the logp
    BOOL = "0 or 1"
    COUNT = "counts (integers >= 0)"
    POSITIVE_INT = "integers >= 1"
    INT = "integers"
    SIMPLEX = "simplex vectors"
    CORR_CHOL = "Cholesky factors of correlation matrices"
    ZERO_SUM = "vectors summing to zero"

    @property
    def discrete(self) -> bool:
        return self in (Support.BOOL, Support.COUNT, Support.POSITIVE_INT, Support.INT)


# which data types may be observed by a distribution of each support
_FITS: dict[Support, set[VType]] = {
    Support.REAL: {VType.REAL, VType.POSITIVE, VType.UNIT, VType.INT, VType.COUNT, VType.BOOL},
    Support.BOUNDED: {VType.REAL, VType.POSITIVE, VType.UNIT, VType.INT, VType.COUNT, VType.BOOL},
    Support.POSITIVE: {VType.POSITIVE},
    Support.UNIT: {VType.UNIT},
    Support.BOOL: {VType.BOOL},
    Support.COUNT: {VType.COUNT, VType.BOOL},
    Support.POSITIVE_INT: {VType.COUNT},
    Support.INT: {VType.INT, VType.COUNT, VType.BOOL},
    Support.SIMPLEX: {VType.UNIT, VType.POSITIVE, VType.REAL},
    Support.CORR_CHOL: {VType.REAL},
    Support.ZERO_SUM: {VType.REAL},
}

_SUGGEST = {
    Support.POSITIVE: "positive", Support.UNIT: "unit", Support.BOOL: "bool",
    Support.COUNT: "count", Support.POSITIVE_INT: "count", Support.INT: "int",
}


def fits_support(vtype: VType, support: Support) -> tuple[bool, str | None]:
    """Whether data of ``vtype`` can be observed under ``support``; and the type to declare."""
    return vtype in _FITS[support], _SUGGEST.get(support)


def arith_type(*types: VType) -> VType:
    """The type of ``+ - *`` over operands: integer if all are integer, else real."""
    return VType.INT if all(t.is_integer for t in types) else VType.REAL


def support_vtype(support: Support) -> VType:
    """The value type of a random variable with this support."""
    return {
        Support.BOOL: VType.BOOL, Support.COUNT: VType.COUNT,
        Support.POSITIVE_INT: VType.COUNT, Support.INT: VType.INT,
        Support.POSITIVE: VType.POSITIVE, Support.UNIT: VType.UNIT,
        Support.SIMPLEX: VType.UNIT,
    }.get(support, VType.REAL)
