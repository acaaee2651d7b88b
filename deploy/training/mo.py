"""Reads GNU gettext .mo catalogs (the binary format msgfmt writes).

Only the standard library: the recipe must run on Debian's python3 alone.
"""
import codecs
import struct

_MAGIC_LE = 0x950412DE
_MAGIC_BE = 0xDE120495


def read_pairs(path):
    """Returns [(msgid, msgstr)] from one .mo file.

    Plural entries come back as (singular, first form) and (plural, each other
    form); message contexts (msgctxt) are dropped; the header entry (empty
    msgid) is skipped. Undecodable or truncated catalogs raise ValueError.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 20:
        raise ValueError(f"{path}: too short for a .mo file")
    (magic,) = struct.unpack("<I", data[:4])
    if magic == _MAGIC_LE:
        order = "<"
    elif magic == _MAGIC_BE:
        order = ">"
    else:
        raise ValueError(f"{path}: not a .mo file (magic {magic:#x})")
    _rev, count, orig_off, trans_off = struct.unpack(order + "4I", data[4:20])

    def raw(table, i):
        length, off = struct.unpack(order + "2I", data[table + 8 * i: table + 8 * i + 8])
        if off + length > len(data):
            raise ValueError(f"{path}: entry {i} points past the end")
        return data[off: off + length]

    charset = "utf-8"
    for i in range(count):
        if raw(orig_off, i) == b"":  # the header names the catalog's charset
            for line in raw(trans_off, i).decode("ascii", "replace").splitlines():
                if line.lower().startswith("content-type:") and "charset=" in line:
                    charset = line.split("charset=", 1)[1].strip() or charset
            break
    try:
        codecs.lookup(charset)
    except LookupError as e:
        raise ValueError(f"{path}: unknown charset {charset!r}") from e

    def string(table, i):
        try:
            return raw(table, i).decode(charset)
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: entry {i} is not {charset}: {e}") from e

    pairs = []
    for i in range(count):
        msgid, msgstr = string(orig_off, i), string(trans_off, i)
        if "\x04" in msgid:  # msgctxt EOT msgid
            msgid = msgid.split("\x04", 1)[1]
        if not msgid:
            continue
        ids, strs = msgid.split("\x00"), msgstr.split("\x00")
        for j, s in enumerate(strs):
            pairs.append((ids[min(j, len(ids) - 1)], s))
    return pairs
