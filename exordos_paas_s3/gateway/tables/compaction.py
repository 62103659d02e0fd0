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
"""Binpack compaction (``rewrite-data-files``) of a table's small Parquet files.

The rewrite is PyIceberg's own machinery run on the server: ``ArrowScan``
reads the small data files of the current snapshot (projecting them to the
current schema, so files written before a schema change read right),
``_dataframe_to_data_files`` writes them out as target-sized files, and a
snapshot producer builds the ``replace`` snapshot (its manifests and
manifest list) with the small files deleted and the new ones added. Its
updates and requirements (``assert-ref-snapshot-id`` on main) then go
through :meth:`Catalog.commit_table`, the compare-and-swap every client
commit takes: an append landing meanwhile makes this commit a 409, the
written files are removed and the rewrite is planned again.

PyIceberg reads and writes through a synchronous ``FileIO``; the storage is
async. So the files are fetched first, the CPU work runs in a worker thread
over an in-memory ``FileIO``, and the files it wrote are stored after. The
input is bounded by ``max-rewrite-bytes`` per run.

Scope: unpartitioned tables whose current snapshot has no delete files (the
seed's "unpartitioned Parquet binpack"); others are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from exordos_paas_s3.gateway.tables import catalog as cat
from exordos_paas_s3.gateway.tables import manifests

if TYPE_CHECKING:
    from pyiceberg.io import InputFile, OutputFile, OutputStream
    from pyiceberg.table.metadata import TableMetadata

REPLANS = 3


def _file_io(files: dict[str, bytes], written: dict[str, bytes]) -> Any:
    """An in-memory FileIO: reads ``files``, writes into ``written``."""
    from pyiceberg.io import FileIO, OutputFile

    class _Out(io.BytesIO):
        def __init__(self, location: str) -> None:
            super().__init__()
            self._location = location

        def close(self) -> None:
            if not self.closed:
                written[self._location] = self.getvalue()
            super().close()

    class _OutputFile(OutputFile):
        def __len__(self) -> int:
            return len(written[self.location])

        def exists(self) -> bool:
            return self.location in written or self.location in files

        def to_input_file(self) -> InputFile:
            return manifests._BytesInput(self.location, written[self.location])

        def create(self, overwrite: bool = False) -> OutputStream:
            return _Out(self.location)  # type: ignore[return-value]

    class _MemoryIO(FileIO):
        def new_input(self, location: str) -> InputFile:
            data = written.get(location)
            if data is None:
                data = files[location]
            return manifests._BytesInput(location, data)

        def new_output(self, location: str) -> OutputFile:
            return _OutputFile(location)

        def delete(self, location: str | InputFile | OutputFile) -> None:
            path = location if isinstance(location, str) else location.location
            written.pop(path, None)

    return _MemoryIO()


def _small_files(
    metadata: TableMetadata,
    manifest_data: dict[str, bytes],
    manifest_list: list[Any],
    config: dict[str, Any],
) -> tuple[list[Any], str | None]:
    """(the small live data files to rewrite, or a reason to skip)."""
    from pyiceberg.manifest import FileFormat, ManifestContent

    if any(m.content == ManifestContent.DELETES for m in manifest_list):
        return [], "the current snapshot has delete files"
    threshold = config["target-file-size-bytes"] * 3 // 4
    small = []
    for manifest in manifest_list:
        entries = manifest.fetch_manifest_entry(
            manifests.BytesFileIO(
                {manifest.manifest_path: manifest_data[manifest.manifest_path]}
            ),
            discard_deleted=True,
        )
        for entry in entries:
            data_file = entry.data_file
            if (
                data_file.file_format == FileFormat.PARQUET
                and data_file.file_size_in_bytes < threshold
            ):
                small.append(data_file)
    small.sort(key=lambda f: (f.file_size_in_bytes, f.file_path))
    picked, total = [], 0
    for data_file in small:
        if total + data_file.file_size_in_bytes > config["max-rewrite-bytes"]:
            break
        picked.append(data_file)
        total += data_file.file_size_in_bytes
    if len(picked) < config["min-input-files"]:
        return [], (
            f"{len(picked)} small files, fewer than min-input-files"
            f" ({config['min-input-files']})"
        )
    return picked, None


def _rewrite_in_memory(
    metadata: TableMetadata,
    location: str,
    files: dict[str, bytes],
    small: list[Any],
    config: dict[str, Any],
    job_hint: str,
) -> tuple[dict[str, bytes], dict[str, Any], list[Any]]:
    """CPU work (a worker thread): read, write, build the replace snapshot.
    (files written, the commit body, the new data files)."""
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.io.pyarrow import ArrowScan, _dataframe_to_data_files
    from pyiceberg.table import (
        CommitTableRequest,
        FileScanTask,
        Table,
        TableIdentifier,
        Transaction,
    )
    from pyiceberg.table.snapshots import Operation
    from pyiceberg.table.update.snapshot import _OverwriteFiles

    written: dict[str, bytes] = {}
    file_io = _file_io(files, written)
    arrow = ArrowScan(metadata, file_io, metadata.schema(), AlwaysTrue()).to_table(
        [FileScanTask(f) for f in small]
    )
    sized = metadata.model_copy(
        update={
            "properties": {
                **metadata.properties,
                "write.target-file-size-bytes": str(config["target-file-size-bytes"]),
            }
        }
    )
    write_uuid = uuid.uuid4()
    new_files = list(
        _dataframe_to_data_files(
            table_metadata=sized, df=arrow, io=file_io, write_uuid=write_uuid
        )
    )
    table = Table(
        ("maintenance", job_hint),
        metadata,
        location,
        file_io,
        # Never committed through a client catalog: the updates go to
        # Catalog.commit_table.
        None,  # type: ignore[arg-type]
    )
    # Built as an overwrite (PyIceberg's summary code knows no "replace"),
    # then named what it is: a replace moves rows between files and changes
    # no data, so readers of changes skip it.
    producer = _OverwriteFiles(
        operation=Operation.OVERWRITE,
        transaction=Transaction(table, autocommit=False),
        io=file_io,
        commit_uuid=write_uuid,
        snapshot_properties={"exordos.maintenance": "rewrite-data-files"},
    )
    for data_file in small:
        producer.delete_data_file(data_file)
    for data_file in new_files:
        producer.append_data_file(data_file)
    updates, requirements = producer._commit()
    request = CommitTableRequest(
        identifier=TableIdentifier.model_validate(
            {"namespace": ["maintenance"], "name": job_hint}
        ),
        requirements=requirements,
        updates=updates,
    )
    body = orjson.loads(request.model_dump_json(by_alias=True, exclude_none=True))
    body.pop("identifier", None)
    for update in body["updates"]:
        if update["action"] == "add-snapshot":
            update["snapshot"]["summary"]["operation"] = Operation.REPLACE.value
    return written, body, new_files


async def rewrite(
    catalog: cat.Catalog,
    bucket: str,
    levels: tuple[str, ...],
    name: str,
    config: dict[str, Any],
    dry: bool,
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    from exordos_paas_s3.gateway.tables import maintenance as mt

    for _ in range(REPLANS):
        location, metadata = await catalog.load_table(bucket, levels, name)
        snapshot = metadata.current_snapshot()
        if snapshot is None:
            return {"skipped": "the table has no snapshot"}
        if not metadata.spec().is_unpartitioned():
            return {"skipped": "partitioned tables are not compacted yet"}
        manifest_list = await catalog._manifest_files(bucket, snapshot.manifest_list)
        manifest_data: dict[str, bytes] = {}
        for manifest in manifest_list:
            data = await catalog._read_file(bucket, manifest.manifest_path)
            if data is None:
                raise cat.IcebergError(f"manifest {manifest.manifest_path} is missing")
            manifest_data[manifest.manifest_path] = data
        small, reason = await asyncio.to_thread(
            _small_files, metadata, manifest_data, manifest_list, config
        )
        if reason is not None:
            events.append(mt._event(mt.REWRITE + "-skipped", reason=reason))
            return {"skipped": reason}
        input_bytes = sum(f.file_size_in_bytes for f in small)
        result: dict[str, Any] = {
            "input-files": len(small),
            "input-bytes": input_bytes,
            "target-file-size-bytes": config["target-file-size-bytes"],
        }
        if dry:
            result["would-rewrite"] = len(small)
            events.append(mt._event(mt.REWRITE + "-planned", files=len(small)))
            return result
        files = dict(manifest_data)
        list_data = await catalog._read_file(bucket, snapshot.manifest_list)
        if list_data is None:
            raise cat.IcebergError(f"manifest list {snapshot.manifest_list} is missing")
        files[snapshot.manifest_list] = list_data
        for data_file in small:
            data = await catalog._read_file(
                bucket, data_file.file_path, config["max-rewrite-bytes"]
            )
            if data is None:
                raise cat.IcebergError(f"data file {data_file.file_path} is missing")
            files[data_file.file_path] = data
        written, body, new_files = await asyncio.to_thread(
            _rewrite_in_memory,
            metadata,
            location,
            files,
            small,
            config,
            name,
        )
        for path, data in written.items():
            await catalog._put_file(bucket, path, data, "application/octet-stream")
        try:
            new_location, new = await catalog.commit_table(bucket, levels, name, body)
        except cat.CommitFailed:
            # Another commit landed first: nothing of this one is visible;
            # its files go and the rewrite is planned against the new state.
            for path in written:
                await catalog._delete_file(bucket, path)
            events.append(mt._event(mt.REWRITE + "-replanned", reason="conflict"))
            continue
        result.update(
            {
                "output-files": len(new_files),
                "output-bytes": sum(f.file_size_in_bytes for f in new_files),
                "snapshot-id": new.current_snapshot_id,
                "metadata-location": new_location,
            }
        )
        events.append(
            mt._event(
                mt.REWRITE + "-committed",
                input_files=len(small),
                output_files=len(new_files),
                snapshot_id=new.current_snapshot_id,
            )
        )
        return result
    raise cat.CommitFailed(
        f"{mt.REWRITE}: the table kept changing for {REPLANS} plans; retry"
    )
