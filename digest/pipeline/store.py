"""Pickles that refer to objects of other pickles by place, so that what an edit leaves unchanged is not written again.

The build's cache (``digest.pipeline.cache``) keeps each of its two large parts, the gather memo and the session,
as a *base* (everything, written by a cold build or after a full re-merge) and a *delta* (what the last build holds
now, written after an edit): the delta refers to the base's unchanged articles, stories, parse results and arrays
by their place in it, so an edit writes a few hundred kilobytes instead of ~300 MB. Loading reads both, and the
objects the delta refers to are the very objects of the base: the stages recognise unchanged ones by identity.

A base names itself with a random ``ident``; a delta names the base it was written against, and one written
against another base (a build stopped between writing the two) is not used.

How an object is referred to by place: the file starts with a short pickle that puts each shared object in the
unpickler's memo (one persistent id each, at load), and the pickler starts with the same objects in its memo, so
it writes a memo reference for each at C speed. (A ``persistent_id`` method was a Python call for every object
pickled: ~500,000 of them, about 0.3 s, for each edit's session delta at 10,000 articles.)
"""

from __future__ import annotations

import gc
import io
import math
import mmap
import operator
import os
import pickle
import secrets
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import numpy as np

SMALL_ARRAY = 1 << 16  # bytes: a smaller array is as cheap to write again as to refer to (or to read in the pickle)
MAPPED = b"\x00digest-mapped\x00"  # the start of a file ``dump_mapped`` wrote (a pickle starts otherwise)
ALIGN = 64
PLACES = "digest-places"  # what the leading pickle of shared objects (see ``_prelude``) gives back
_REFER = struct.Struct("<BiBBB")  # BININT place, BINPERSID, MEMOIZE, POP: one shared object into the memo


def new_ident() -> str:
    return secrets.token_hex(8)


def read(path: Path | None, shared: Sequence[Any] = ()) -> tuple[Any, int]:
    """The object pickled in ``path`` by ``dump`` or ``dump_mapped`` (None if it is missing, truncated or not
    readable, or refers to more shared objects than given) and the file's size in bytes. ``shared``: the objects
    it was written with, in the same order."""
    if path is None:
        return None, 0
    collecting = gc.isenabled()
    gc.disable()  # loading makes many objects and no garbage: the collector's passes would only cost (3-5x)
    try:
        with open(path, "rb") as file:  # unpickled as read, never all its bytes in memory at once
            buffers = _mapped_arrays(file) if file.read(len(MAPPED)) == MAPPED else None
            if buffers is None:
                file.seek(0)
            loaded = load(file, shared, buffers)
            size = os.fstat(file.fileno()).st_size
    except Exception:  # missing, truncated, from another version, or referring to objects of another base: start afresh
        return None, 0
    finally:
        if collecting:
            gc.enable()
    # What was kept lives as long as the build (or the preview's session): moved out of the collector's sight, its
    # ~10^6 objects are not traversed again by every full collection the rest of the build triggers (~2 s at 10,000).
    gc.freeze()
    return loaded, size


def load(file: BinaryIO, shared: Sequence[Any] = (), buffers: Sequence[memoryview] | None = None) -> Any:
    """What ``dump`` wrote into ``file`` from where it stands, each shared object as the very one in ``shared``."""
    unpickler = pickle.Unpickler(file, buffers=buffers)
    unpickler.persistent_load = shared.__getitem__  # type: ignore[method-assign]  # C speed, once per shared object
    first = unpickler.load()
    return unpickler.load() if isinstance(first, str) and first == PLACES else first


def dump(file: BinaryIO, value: Any, shared: Sequence[Any] = (), alike: tuple[type, ...] = ()) -> None:
    """Pickle ``value`` into ``file``, each object of ``shared`` as its place there (``read`` with the same objects
    gives them back as they are). Objects of the ``alike`` types (immutable values, compared by value) that are
    equal are written once and come back as one object."""
    collecting = gc.isenabled()
    gc.disable()  # pickling makes no garbage either (2x faster at 10,000 articles)
    try:
        _pickler(file, shared, alike=alike).dump(value)
    finally:
        if collecting:
            gc.enable()


def dump_mapped(file: BinaryIO, value: Any, shared: Sequence[Any] = ()) -> None:
    """As ``dump``, but with each numpy array of at least SMALL_ARRAY bytes after the pickle, raw and aligned:
    ``read`` maps the file into memory and makes them read-only views of it, so the re-merger's ~180 MB of
    tables (at 10,000 articles) are neither read nor copied when loaded, and an edit pages in what it looks at.
    Layout: MAPPED, the header's length (8 bytes), the header (the pickles' length, each array's offset and
    length), the pickles (as ``dump`` writes them), then the arrays, each at a multiple of ALIGN."""
    arrays: list[memoryview] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        raw = buffer.raw()
        if raw.nbytes < SMALL_ARRAY:
            return True  # in the pickle
        arrays.append(raw)
        return False

    stream = io.BytesIO()
    collecting = gc.isenabled()
    gc.disable()
    try:
        _pickler(stream, shared, out_of_band).dump(value)
    finally:
        if collecting:
            gc.enable()
    body = stream.getbuffer()
    layout, offset = [], 0
    for raw in arrays:
        layout.append((offset, raw.nbytes))
        offset = _aligned(offset + raw.nbytes)
    header = pickle.dumps((len(body), layout), protocol=pickle.HIGHEST_PROTOCOL)
    start = len(MAPPED) + 8 + len(header) + len(body)
    file.write(MAPPED + len(header).to_bytes(8, "little") + header)
    file.write(body)
    file.write(bytes(_aligned(start) - start))
    for raw, (offset, size) in zip(arrays, layout):
        file.write(raw)
        file.write(bytes(_aligned(offset + size) - offset - size))


def _mapped_arrays(file: BinaryIO) -> list[memoryview]:
    """The arrays of a file ``dump_mapped`` wrote, as views of it mapped into memory; ``file`` is left at the pickle."""
    view = memoryview(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ))
    at = len(MAPPED) + 8
    header_size = int.from_bytes(view[len(MAPPED):at], "little")
    body_size, layout = pickle.loads(view[at:at + header_size])
    body = at + header_size
    arrays = _aligned(body + body_size)
    file.seek(body)
    return [view[arrays + offset:arrays + offset + size] for offset, size in layout]


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def _pickler(file: BinaryIO, shared: Sequence[Any], buffer_callback: Callable[[pickle.PickleBuffer], bool] | None = None,
             alike: tuple[type, ...] = ()) -> pickle.Pickler:
    """A pickler into ``file`` (after the prelude naming ``shared``) that knows each shared object as its place."""
    file.write(_prelude(len(shared)))
    options: dict[str, Any] = {"protocol": pickle.HIGHEST_PROTOCOL, "buffer_callback": buffer_callback}
    pickler = _OneOfEach(file, alike, **options) if alike else pickle.Pickler(file, **options)
    memo: dict[int, tuple[int, Any]] = {}
    for place, item in enumerate(shared):
        if id(item) in memo:  # listed twice: referred to by its first place; this one keeps the numbering
            item = object()
        memo[id(item)] = (place, item)
    pickler.memo = memo  # new objects are numbered after the shared ones, as at load
    return pickler


class _OneOfEach(pickle.Pickler):
    """Writes an object of the ``alike`` kinds that equals one already written as that one (handed back by
    ``itemgetter(0)`` from a 1-tuple, at C speed, when loaded). A classification's evidence is the case: at
    10,000 articles ~134,000 pieces of evidence hold ~1,200 distinct values, each loaded as three objects (itself,
    its attributes, its ``where``) by every build that reads the gather memo: a quarter of its load time."""

    def __init__(self, file: BinaryIO, alike: tuple[type, ...], **options: Any):
        self.alike, self.same = alike, operator.itemgetter(0)
        self.first_of: dict[Any, Any] = {}
        super().__init__(file, **options)

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in self.alike:
            first = self.first_of.setdefault(obj, obj)
            if first is not obj and _exactly(first, obj):
                return self.same, ((first,),)
        return NotImplemented


def _exactly(a: Any, b: Any) -> bool:
    """Two equal objects' attributes alike to the bit: 1 == 1.0 == True and 0.0 == -0.0, which print differently."""
    return all(type(x) is type(y) and (type(x) is not float or math.copysign(1.0, x) == math.copysign(1.0, y))
               for x, y in zip(a.__dict__.values(), b.__dict__.values()))


def _prelude(count: int) -> bytes:
    """A pickle that puts shared objects 0 .. count - 1 (persistent ids, resolved at load) in the memo, in order."""
    refer, tag = _REFER.pack, PLACES.encode("ascii")
    # Then SHORT_BINUNICODE PLACES, STOP: not memoized (the objects pickled next are numbered from ``count``).
    return b"\x80\x05" + b"".join([refer(0x4A, place, 0x51, 0x94, 0x30) for place in range(count)]) + b"\x8c" + bytes([len(tag)]) + tag + b"."


def arrays_in(root: Any, depth: int = 4, *, freeze: bool = False) -> list[np.ndarray]:
    """The numpy arrays of at least SMALL_ARRAY bytes held in the attributes of ``root`` and of the objects in its
    attributes (not in its dicts or lists), in attribute order: the same list for the same object, pickled or not.
    With ``freeze`` they are made read-only: one a delta refers to must not change after its base was written."""
    import numpy as np  # here: a build with nothing changed reads no arrays, and need not import numpy (~0.15 s)

    found: list[np.ndarray] = []
    seen: set[int] = set()

    def visit(item: Any, left: int) -> None:
        if id(item) in seen:
            return
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            if item.nbytes >= SMALL_ARRAY and item.dtype != object:
                if freeze:
                    item.flags.writeable = False
                found.append(item)
            return
        attributes = getattr(item, "__dict__", None)
        if left and isinstance(attributes, dict) and not isinstance(item, type):
            for value in list(attributes.values()):
                visit(value, left - 1)

    visit(root, depth)
    return found


def array_bytes(items: Sequence[Any]) -> int:
    """The bytes of the numpy arrays among ``items`` (other objects count nothing)."""
    return sum(getattr(item, "nbytes", 0) for item in items)
