"""torch's C++ spelling of dtypes in error messages (ember/ops/_utils.cpp_name), one table for all."""
import pytest

import ember
from ember.ops._utils import cpp_name

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("a,b", [("float32", "float64"), ("float64", "float16"), ("float16", "float32")])
def test_mm_dtype_mismatch_message_matches_torch(a, b):
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as err:
            lib.mm(lib.ones(2, 2, dtype=getattr(lib, a)), lib.ones(2, 2, dtype=getattr(lib, b)))
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1]


def test_cpp_names():
    assert [cpp_name(getattr(ember, n)) for n in ("float32", "float64", "int64", "uint8", "int8", "bool")] == [
        "float", "double", "long int", "unsigned char", "signed char", "bool"]
