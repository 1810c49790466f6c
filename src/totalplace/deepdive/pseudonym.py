"""Pseudonymising person and household identifiers with a keyed hash (HMAC-SHA256).

The key is the partnership's secret: it comes from a key file or the
environment variable TOTALPLACE_PSEUDONYM_KEY, and never from (or into) the
workspace, so the store and everything derived from it can be shared without
anyone being able to turn a pseudonym back into a person without the key.

An identifier is normalised first (spaces and dashes removed, upper-cased), so
that '943 476 5919', '943-476-5919' and '9434765919' link, and 'hh-7' links to
'HH7'. People and households are hashed in separate domains: a household's
pseudonym never equals a person's. An NHS number is checked (its modulus 11
check digit) before it is hashed: one that fails is never given a pseudonym.

A pseudonym is the first 8 bytes of the HMAC as a signed 64-bit integer (shown
as 16 hex digits): joins and group-bys on 20 million events stay fast, and the
chance that two of a million people share one is about 1 in 37 million. A
load checks that no two different identifiers it reads share a pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from totalplace.errors import InputError
from totalplace.ingest.sources import int64_array

KEY_ENV = "TOTALPLACE_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
KEY_CHECK_MESSAGE = b"totalplace key check"
DOMAINS = ("person", "household")
# Dashes as typed or pasted: hyphen-minus, the Unicode hyphens and dashes, the minus sign, full-width and small forms.
_DASHES = "\\-\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
_SEPARATORS = re.compile(f"[\\s{_DASHES}]+")
_ASCII_SEPARATORS = r"[\t\n\x0b\x0c\r\x1c-\x1f \-]+"  # the ASCII characters Python's \s matches, and '-'
NHS_WEIGHTS = np.arange(10, 1, -1)  # the first nine digits' weights in the modulus 11 check
_BLOCK = 64  # SHA-256's block size in bytes
_IPAD, _OPAD = bytes(b ^ 0x36 for b in range(256)), bytes(b ^ 0x5C for b in range(256))  # XOR as translate tables


def load_key(key_file: Path | None, workspace_root: Path | None = None) -> bytes:
    """The secret key, from the key file if one is given, else the environment; refuse without one."""
    if key_file is not None:
        if workspace_root is not None and _inside(key_file, workspace_root):
            raise InputError(f"{key_file}: the pseudonymisation key must be kept outside the workspace "
                             f"({workspace_root}), or anyone given the workspace could reverse the pseudonyms")
        if not key_file.is_file():
            raise InputError(f"{key_file}: no such key file")
        key = key_file.read_bytes().strip()
        source = str(key_file)
    else:
        key = os.environ.get(KEY_ENV, "").strip().encode("utf-8")
        source = f"${KEY_ENV}"
        if not key:
            raise InputError(f"no pseudonymisation key: set {KEY_ENV} or give --key-file FILE "
                             f"(kept outside the workspace); identifiers are never stored unhashed")
    if len(key) < MIN_KEY_BYTES:
        raise InputError(f"{source}: the pseudonymisation key is {len(key)} bytes; use at least {MIN_KEY_BYTES} "
                         f"random bytes (e.g. `openssl rand -hex 32 > key`)")
    return key


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def key_check(key: bytes) -> str:
    """A fingerprint of the key (not the key) so a store can refuse a load under a different key."""
    return hmac.digest(key, KEY_CHECK_MESSAGE, "sha256").hex()


class Pseudonymiser:
    """Keyed hashing of identifiers, remembering each identifier hashed in this run."""

    def __init__(self, key: bytes) -> None:
        self._inner, self._outer = _hmac_states(key)
        # The normalised identifiers hashed so far and their pseudonyms, by domain, as arrays: a file's
        # identifiers find theirs by Arrow's hash lookup, not by a Python step per identifier per file.
        self._ids: dict[str, pa.Array] = {domain: pa.array([], pa.string()) for domain in DOMAINS}
        self._values: dict[str, np.ndarray] = {domain: np.empty(0, np.int64) for domain in DOMAINS}
        self._seen: dict[str, set[int]] = {domain: set() for domain in DOMAINS}

    def pseudonym(self, domain: str, identifier: str) -> int | None:
        """The 64-bit pseudonym of one normalised identifier (none for a blank one)."""
        ids = pa.array([identifier], pa.string())
        return self._pseudonyms(domain, ids)[0].as_py()

    def column(self, domain: str, cells: pa.ChunkedArray | pa.Array) -> pa.Array:
        """Pseudonyms of a column of identifier text: blank -> null."""
        return self.checked_column(domain, cells)[0]

    def checked_column(self, domain: str, cells: pa.ChunkedArray | pa.Array,
                       valid: Callable[[pa.Array], pa.Array] | None = None) -> tuple[pa.Array, pa.Array]:
        """Pseudonyms of a column of identifier text, and which cells `valid` refused (never hashed: null).

        Only the distinct texts are normalised (in Arrow) and checked, and only
        identifiers not seen before are hashed: a file of millions of events
        names far fewer people, and each row takes its pseudonym by index.
        """
        encoded = pc.dictionary_encode(cells)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        normal = normalised(encoded.dictionary)
        refused = pa.repeat(False, len(normal)) if valid is None else pc.and_(
            pc.not_equal(normal, ""), pc.invert(valid(normal)))
        hashed = self._pseudonyms(domain, pc.if_else(refused, "", normal))
        return pc.take(hashed, encoded.indices), pc.fill_null(pc.take(refused, encoded.indices), False)

    def _pseudonyms(self, domain: str, normal: pa.Array) -> pa.Array:
        """The pseudonym of each normalised identifier, hashing those not seen before; blank -> null."""
        known = self._ids[domain]
        where = pc.index_in(normal, value_set=known)  # null: new, or blank
        new = pc.unique(pc.filter(normal, pc.and_(pc.is_null(where), pc.not_equal(normal, ""))))
        if len(new):
            self._hash_new(domain, new)
            where = pc.coalesce(where, pc.add(pc.index_in(normal, value_set=new), len(known)))
        return pc.take(int64_array(self._values[domain]), where)

    def _hash_new(self, domain: str, identifiers: pa.Array) -> None:
        """Hash identifiers not seen before: the first 8 bytes of each HMAC, as a signed big-endian integer."""
        inner, outer, prefix = self._inner, self._outer, f"{domain}:".encode("utf-8")
        digests = b"".join([_hmac(inner, outer, prefix + i.encode("utf-8"))[:8] for i in identifiers.to_pylist()])
        values = np.frombuffer(digests, dtype=">i8").astype(np.int64)
        seen = self._seen[domain]
        before = len(seen)
        seen.update(values.tolist())
        if len(seen) != before + len(values):  # new identifiers, an old pseudonym: linking would merge two people
            raise InputError(f"two different {domain} identifiers hash to the same pseudonym; "
                             f"use a new key for the whole cohort")
        self._ids[domain] = pa.concat_arrays([self._ids[domain], identifiers])
        self._values[domain] = np.concatenate([self._values[domain], values])


def _hmac_states(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 after HMAC's inner and outer key blocks (RFC 2104), computed once per key.

    hmac.digest sets these up again for every message: copying them instead
    halves the cost of hashing a million identifiers.
    """
    block = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
    return hashlib.sha256(block.translate(_IPAD)), hashlib.sha256(block.translate(_OPAD))


def _hmac(inner: hashlib._Hash, outer: hashlib._Hash, message: bytes) -> bytes:
    """HMAC-SHA256 of a message, from the key's states: the same bytes as hmac.digest(key, message, "sha256")."""
    inner_hash = inner.copy()
    inner_hash.update(message)
    outer_hash = outer.copy()
    outer_hash.update(inner_hash.digest())
    return outer_hash.digest()


def normalised(texts: pa.Array) -> pa.Array:
    """Identifiers as linked: whitespace and dashes removed, upper-cased (Python's rules, for any text)."""
    if pc.all(pc.string_is_ascii(texts)).as_py() is not False:
        # In ASCII text Python's \s and str.upper() are exactly these, and Arrow applies them without a loop.
        return pc.ascii_upper(pc.replace_substring_regex(texts, _ASCII_SEPARATORS, ""))
    return pa.array([None if t is None else _SEPARATORS.sub("", t).upper() for t in texts.to_pylist()], pa.string())


def nhs_number_valid(normal: pa.Array) -> pa.Array:
    """Whether each normalised identifier is an NHS number: ten digits whose last is the modulus 11 check
    digit of the first nine (weights 10 down to 2; 11 - remainder, 11 read as 0; 10 is no valid number)."""
    ten_digits = pc.fill_null(pc.match_substring_regex(normal, r"^[0-9]{10}$"), False)
    candidates = pc.filter(normal, ten_digits).to_pylist()
    valid = np.zeros(len(normal), dtype=bool)
    if candidates:
        digits = np.frombuffer("".join(candidates).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - ord("0")
        check = (11 - (digits[:, :9].astype(np.int64) @ NHS_WEIGHTS) % 11) % 11
        valid[np.flatnonzero(ten_digits.to_numpy(zero_copy_only=False))] = (check != 10) & (check == digits[:, 9])
    return pa.array(valid)


def show(pseudonym: int | None) -> str:
    """A pseudonym as people see it: 16 hex digits."""
    return "" if pseudonym is None else f"{pseudonym & 0xFFFFFFFFFFFFFFFF:016x}"
