#    Copyright 2026 Genesis Corporation.
#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.
"""Reading a commit's manifest list and manifests with PyIceberg's own Avro
readers, from bytes the catalog fetched through the storage contract.

PyIceberg reads files synchronously through a ``FileIO``; the catalog's
storage is async. So the catalog fetches each file first, then hands the
bytes to PyIceberg through this in-memory ``FileIO`` (in a worker thread:
parsing is CPU work the event loop should not wait on).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile

if TYPE_CHECKING:
    from pyiceberg.manifest import ManifestFile


class _BytesInput(InputFile):
    def __init__(self, location: str, data: bytes) -> None:
        super().__init__(location)
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def exists(self) -> bool:
        return True

    def open(self, seekable: bool = True) -> InputStream:
        return io.BytesIO(self._data)


class BytesFileIO(FileIO):
    """Read-only FileIO over files already in memory, by location."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__()
        self._files = files

    def new_input(self, location: str) -> InputFile:
        return _BytesInput(location, self._files[location])

    def new_output(self, location: str) -> OutputFile:
        raise PermissionError("the catalog never writes through this FileIO")

    def delete(self, location: str | InputFile | OutputFile) -> None:
        raise PermissionError("the catalog never deletes through this FileIO")


def manifest_files(location: str, data: bytes) -> list[ManifestFile]:
    from pyiceberg.manifest import read_manifest_list

    return list(read_manifest_list(_BytesInput(location, data)))


def entry_paths(manifest: ManifestFile, data: bytes) -> list[str]:
    """Every file a manifest names (live and deleted entries alike)."""
    entries = manifest.fetch_manifest_entry(
        BytesFileIO({manifest.manifest_path: data}), discard_deleted=False
    )
    return [entry.data_file.file_path for entry in entries]
