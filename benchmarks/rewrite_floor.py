"""The floor of any write through a whole-file JSON store, in Python: read a live file, parse it, add one record,
serialise it and replace the file atomically (temp file, fsync, rename, fsync of the dir) — with nothing else
imported (no settings, no checks, no TinyDB, no argparse). ``promisetrack add`` does this and more, so its time
cannot go below this one's; the benchmark prints it beside ``add``.

    python -m benchmarks.rewrite_floor DATA_DIR/promisetrack.json
"""

import gc
import os
import sys

import orjson


def rewrite(path: str) -> None:
    gc.disable()  # as promisetrack's commands do: a parsed JSON tree holds no cycles
    with open(path, "rb") as file:
        data = orjson.loads(file.read())
    data.setdefault("promises", {})["999999"] = {"id": 999999, "what": "one more promise"}
    temp = f"{path}.floor-tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, orjson.dumps(data))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


if __name__ == "__main__":
    rewrite(sys.argv[1])
