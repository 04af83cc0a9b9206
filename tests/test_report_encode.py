"""The report's compact numeric encoding round-trips within its stated precision."""

import numpy as np
import pytest

from myoclamp.report import encode as enc


@pytest.mark.parametrize("kind", ["f32", "f16", "u8", "u16", "i32"])
def test_encode_decode_round_trip(kind):
    rng = np.random.default_rng(1)
    dtype = np.dtype(enc.DTYPES[kind])
    if dtype.kind == "f":
        values = rng.normal(0, 3, 257).astype(dtype)
        values[[3, 7]] = [np.nan, np.inf]
    else:
        values = rng.integers(0, min(np.iinfo(dtype).max, 10**6), 257).astype(dtype)
    got = enc.decode(enc.encode(values, kind), kind)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, values)


def test_encoding_is_little_endian_base64():
    # 1.0 as float32 little-endian is 00 00 80 3f
    assert enc.encode([1.0], "f32") == "AACAPw=="
    assert enc.encode([1], "u16") == "AQA="


def test_float16_overflow_becomes_infinite_not_wrapped():
    out = enc.f16_safe([1.0, 7e4, -1e6, np.nan])
    assert out[0] == 1.0 and out[1] == np.inf and out[2] == -np.inf and np.isnan(out[3])


def test_neglog10_keeps_tiny_and_zero_p_values():
    m = enc.neglog10([0.05, 1e-300, 0.0, np.nan, 1.0])
    assert m[0] == pytest.approx(1.30103, rel=1e-5)
    assert m[1] == pytest.approx(300.0)
    assert m[2] == np.inf and np.isnan(m[3]) and m[4] == 0.0
    # float32 of -log10 p: relative error of p about 1.4e-7 x -log10 p (1e-5 at p = 1e-70),
    # far below the two or three digits shown, and p below float32's range survives
    p = np.array([3.35954e-71, 0.0123457, 8.07037e-05, 1e-300])
    m = enc.neglog10(p)
    back = 10 ** -m.astype(np.float32).astype(float)
    assert (np.abs(back / p - 1) <= 1.5e-7 * m + 1e-7).all()


def test_quantise_error_is_within_half_a_level():
    rng = np.random.default_rng(7)
    x = rng.normal(8, 2, size=(50, 31)) * rng.uniform(0.1, 3, size=(50, 1))
    codes, lo, hi = enc.quantise(x)
    assert codes.dtype == np.uint8 and codes.max() <= enc.LEVELS
    back = enc.dequantise(codes, lo, hi)
    step = (hi.astype(float) - lo.astype(float)) / enc.LEVELS
    err = np.abs(back - x)
    assert (err <= step[:, None] / 2 + 1e-5 * np.abs(x)).all()
    # each row's extremes come back (within float32 rounding of lo and hi)
    np.testing.assert_allclose(back.min(axis=1), x.min(axis=1), rtol=1e-6)
    np.testing.assert_allclose(back.max(axis=1), x.max(axis=1), rtol=1e-6)


def test_quantise_missing_and_constant_rows():
    x = np.array([[1.0, np.nan, 3.0], [2.5, 2.5, 2.5], [np.nan, np.nan, np.nan]])
    codes, lo, hi = enc.quantise(x)
    assert codes[0, 1] == enc.MISSING_U8 and codes[0, 0] == 0 and codes[0, 2] == enc.LEVELS
    assert (codes[1] == 0).all() and lo[1] == hi[1] == 2.5
    assert (codes[2] == enc.MISSING_U8).all()
    back = enc.dequantise(codes, lo, hi)
    assert np.isnan(back[0, 1]) and np.allclose(back[1], 2.5) and np.isnan(back[2]).all()
