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
"""Replacing a view (``POST .../views/{view}``, the spec's CommitViewRequest).

PyIceberg 0.12 has view metadata models (``ViewMetadata``, ``ViewVersion``,
``Schema``) but no view updates or requirements, so the spec's few view
updates are applied here, each validated through those models:
``assign-uuid`` (only the view's own), ``upgrade-format-version`` (only 1),
``add-schema``, ``set-location`` (inside the bucket), ``set-properties``,
``remove-properties``, ``add-view-version`` (a new id, or the id of an
identical existing version; ``schema-id: -1`` is the schema added in this
commit) and ``set-current-view-version`` (``-1``: the version added in this
commit). The one requirement is ``assert-view-uuid`` (409 when it fails).

The commit is the same compare-and-swap as a table's: the new metadata file
is written, then the view's pointer swapped under the bucket's lock only if
it still names the metadata the update was computed from.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from exordos_paas_s3.gateway.tables import catalog as cat


def _version_key(version: dict[str, Any]) -> bytes:
    """A version without its id and time: two equal keys are one version."""
    rest = {k: v for k, v in version.items() if k not in ("version-id", "timestamp-ms")}
    return orjson.dumps(rest, option=orjson.OPT_SORT_KEYS)


def apply_updates(bucket: str, metadata: Any, body: dict[str, Any]) -> tuple[Any, bool]:
    """(the new ViewMetadata, whether anything changed)."""
    from pyiceberg.schema import Schema
    from pyiceberg.view.metadata import ViewMetadata, ViewVersion

    requirements = body.get("requirements", [])
    updates = body.get("updates", [])
    if not isinstance(requirements, list) or not isinstance(updates, list):
        raise cat.BadRequest("requirements and updates must be lists")
    doc = orjson.loads(metadata.model_dump_json(by_alias=True))
    for req in requirements:
        if not isinstance(req, dict) or req.get("type") != "assert-view-uuid":
            raise cat.BadRequest(f"unknown view requirement: {req!r}")
        if req.get("uuid") != doc["view-uuid"]:
            raise cat.CommitFailed(
                f"Requirement failed: view UUID does not match: {req.get('uuid')}"
                f" != {doc['view-uuid']}"
            )
    added_schema: int | None = None
    added_version: int | None = None
    for update in updates:
        if not isinstance(update, dict):
            raise cat.BadRequest("each update must be an object")
        action = update.get("action")
        try:
            if action == "assign-uuid":
                if update.get("uuid") != doc["view-uuid"]:
                    raise cat.BadRequest("a view's uuid cannot be changed")
            elif action == "upgrade-format-version":
                if update.get("format-version") != 1:
                    raise cat.BadRequest("view format-version 1 is the only one")
            elif action == "add-schema":
                schema = Schema.model_validate(update["schema"])
                known = {s["schema-id"]: s for s in doc["schemas"]}
                fields = orjson.loads(schema.model_dump_json(by_alias=True))
                same = [
                    sid
                    for sid, s in known.items()
                    if s.get("fields") == fields.get("fields")
                ]
                if same:
                    added_schema = same[0]
                else:
                    added_schema = max(known, default=-1) + 1
                    fields["schema-id"] = added_schema
                    doc["schemas"].append(fields)
            elif action == "set-location":
                location = update["location"]
                if not isinstance(location, str):
                    raise cat.BadRequest("location must be a string")
                doc["location"] = cat.Catalog._check_location(
                    bucket, location.rstrip("/")
                )
            elif action == "set-properties":
                props = update["updates"]
                if not isinstance(props, dict) or not all(
                    isinstance(v, str) for v in props.values()
                ):
                    raise cat.BadRequest("updates must be an object of strings")
                doc.setdefault("properties", {}).update(props)
            elif action == "remove-properties":
                removals = update["removals"]
                if not isinstance(removals, list):
                    raise cat.BadRequest("removals must be a list of strings")
                for key in removals:
                    doc.setdefault("properties", {}).pop(key, None)
            elif action == "add-view-version":
                version = orjson.loads(
                    ViewVersion.model_validate(update["view-version"]).model_dump_json(
                        by_alias=True
                    )
                )
                if version["schema-id"] == -1:
                    if added_schema is None:
                        raise cat.BadRequest(
                            "schema-id -1 needs an add-schema earlier in the commit"
                        )
                    version["schema-id"] = added_schema
                if version["schema-id"] not in {s["schema-id"] for s in doc["schemas"]}:
                    raise cat.BadRequest(
                        f"view-version names unknown schema {version['schema-id']}"
                    )
                key = _version_key(version)
                existing = [
                    v["version-id"] for v in doc["versions"] if _version_key(v) == key
                ]
                if existing:
                    added_version = existing[0]
                else:
                    added_version = (
                        max((v["version-id"] for v in doc["versions"]), default=0) + 1
                    )
                    version["version-id"] = added_version
                    doc["versions"].append(version)
            elif action == "set-current-view-version":
                vid = update["view-version-id"]
                if vid == -1:
                    if added_version is None:
                        raise cat.BadRequest(
                            "view-version-id -1 needs an add-view-version earlier"
                            " in the commit"
                        )
                    vid = added_version
                if vid not in {v["version-id"] for v in doc["versions"]}:
                    raise cat.BadRequest(f"unknown view version {vid}")
                if vid != doc["current-version-id"]:
                    doc["current-version-id"] = vid
                    doc["version-log"].append(
                        {"timestamp-ms": int(time.time() * 1000), "version-id": vid}
                    )
            else:
                raise cat.BadRequest(f"unknown view update action: {action!r}")
        except KeyError as exc:
            raise cat.BadRequest(f"{action}: missing field {exc}") from None
        except (ValueError, TypeError) as exc:
            raise cat._model_error(exc) from None
    try:
        new = ViewMetadata.model_validate(doc)
    except (ValueError, TypeError) as exc:
        raise cat._model_error(exc) from None
    return new, bool(updates)


async def replace_view(
    catalog: cat.Catalog,
    bucket: str,
    levels: tuple[str, ...],
    name: str,
    body: dict[str, Any],
) -> tuple[str, Any]:
    ident = body.get("identifier")
    if ident is not None and (
        not isinstance(ident, dict)
        or list(ident.get("namespace") or []) != list(levels)
        or ident.get("name") != name
    ):
        raise cat.BadRequest("identifier in the body does not match the path")
    for _ in range(cat.COMMIT_ATTEMPTS):
        base_location, base = await catalog.load_view(bucket, levels, name)
        new, changed = apply_updates(bucket, base, body)
        if not changed:
            return base_location, base
        version = cat._metadata_version(base_location) + 1
        location = await catalog._write_metadata(bucket, new, version, table=False)
        async with catalog._lock(bucket):
            state = await catalog._state(bucket)
            if catalog._view_pointer(state, levels, name) == base_location:
                state["views"][cat.ns_key(levels)][name]["metadata-location"] = location
                await catalog._save(bucket, state)
                return location, new
        await catalog._delete_file(bucket, location)
    raise cat.CommitFailed(
        f"Commit of view {'.'.join(levels)}.{name} lost {cat.COMMIT_ATTEMPTS} races"
        " in a row; retry"
    )
