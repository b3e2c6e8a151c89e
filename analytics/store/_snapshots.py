"""Outcome snapshots: a scope's stored per-patient tables kept together, patched per patient.

``stored_outcomes`` keeps one row per patient and table, which a save refreshes
for one patient in milliseconds. A cohort page needs every patient of its scope
at once, and reading 10,000 patients × 15 tables one stored row at a time costs
seconds. A snapshot is one row per *scope* (the whole clinic, or one clinician's
patients), settings fingerprint and table, holding every patient's rows of that
table and each patient's *stamp* (the ``updated_at`` of their stored rows when
the snapshot was written).

Reading a scope's tables (:meth:`Snapshots.scope_outcomes`):

1. the stamps of the patients in the scope now (from an index);
2. the snapshot's members. A snapshot holding a patient who is no longer in the
   scope (unassigned, removed) is not read at all: its rows are never fetched,
   and it is rebuilt from the patients' stored rows;
3. the rows of the patients whose stamp differs from the snapshot's (a save, a
   refresh, a patient new to the scope) are read from ``stored_outcomes`` and
   replace that patient's rows; the patched snapshot is written back.

Why it is never stale: the stamps are read before any row, so a snapshot never
records a stamp newer than the rows it holds; a patient rewritten meanwhile has
a new stamp and is patched on the next read. A snapshot is a cache: a failed
write of one is logged and the rows are still returned; a lost race between two
writers leaves either one, both consistent with their members.

Rows come back in ``patient_id`` order (code-point order, as pandas sorts),
each patient's rows in their stored order, equal to reading every patient's
stored rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.store import _models as models
from analytics.store._outcomes import Outcomes, decode_frames, decoded_tables
from analytics.store._values import check_actor

__all__ = ["Snapshots", "CLINIC_SCOPE", "clinician_scope"]

_log = logging.getLogger(__name__)

#: The scope of every patient (admins, the local operator).
CLINIC_SCOPE = "clinic"
#: Up to this many patients are read with ``patient_id IN (...)``; more, the whole scope.
_PATCH_LIMIT = 2000


def clinician_scope(user_id: int) -> str:
    """Name the scope of one clinician's assigned patients."""
    return f"clinician:{int(user_id)}"


def _ipc(table: Any, *, compress: bool) -> bytes:
    import pyarrow as pa

    options = pa.ipc.IpcWriteOptions(compression="lz4" if compress else None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _read_ipc(payload: bytes) -> Any:
    import pyarrow as pa

    with pa.ipc.open_stream(pa.py_buffer(payload)) as reader:
        return reader.read_all()


def _stamp(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return pd.Timestamp(value).isoformat()


def _ids(table: Any) -> Any:
    """Take the ``patient_id`` column of ``table`` as plain strings."""
    import pyarrow as pa

    column = table.column("patient_id")
    return column if column.type == pa.string() else column.cast(pa.string())


def _sorted_by_patient(table: Any) -> Any:
    """``table`` in patient_id order, each patient's rows in their order (stable sort)."""
    import pyarrow.compute as pc

    order = pc.sort_indices(table, sort_keys=[("patient_id", "ascending")])
    return table.take(order)


class Snapshots(Outcomes):
    """Reads of a scope's stored outcomes through ``outcome_snapshots``."""

    def outcome_stamps(
        self, fingerprint: str, *, clinician_user_id: int | None = None
    ) -> dict[str, str]:
        """Stamp each patient in the scope with stored rows for ``fingerprint``.

        Returns ``{patient_id: stamp}``; the stamp is the ``updated_at`` of the patient's
        ``patient_outcomes`` row as ISO text.
        """
        t = models.stored_outcomes
        stmt = sa.select(t.c.patient_id, t.c.updated_at).where(
            t.c.fingerprint == fingerprint, t.c.table_name == "patient_outcomes"
        )
        stmt = self._outcomes_scope(stmt, clinician_user_id, None)
        with self._reading("read the stored outcomes") as conn:
            return {str(pid): _stamp(at) for pid, at in conn.execute(stmt)}

    def _snapshot_members(
        self, scope: str, fingerprint: str, names: Sequence[str]
    ) -> dict[str, dict[str, str]]:
        s = models.outcome_snapshots
        stmt = sa.select(s.c.table_name, s.c.members).where(
            s.c.scope == scope, s.c.fingerprint == fingerprint, s.c.table_name.in_(list(names))
        )
        with self._reading("read the outcome snapshots") as conn:
            rows = conn.execute(stmt).fetchall()
        out: dict[str, dict[str, str]] = {}
        for name, payload in rows:
            members = _read_ipc(bytes(payload))
            out[str(name)] = dict(
                zip(
                    members.column("patient_id").to_pylist(),
                    members.column("stamp").to_pylist(),
                    strict=True,
                )
            )
        return out

    def _snapshot_rows(self, scope: str, fingerprint: str, names: Sequence[str]) -> dict[str, Any]:
        s = models.outcome_snapshots
        stmt = sa.select(s.c.table_name, s.c.payload).where(
            s.c.scope == scope, s.c.fingerprint == fingerprint, s.c.table_name.in_(list(names))
        )
        with self._reading("read the outcome snapshots") as conn:
            rows = conn.execute(stmt).fetchall()
        return {str(name): _read_ipc(bytes(payload)) for name, payload in rows}

    def _stored_rows(
        self,
        fingerprint: str,
        names: Sequence[str],
        clinician_user_id: int | None,
        patient_ids: Sequence[str] | None,
    ) -> dict[str, Any]:
        """Read the rows stored for the scope (or for ``patient_ids`` in it), per table.

        Returns ``{table: rows}``: an Arrow table in patient_id order, or — when the
        patients' rows have different columns and Arrow cannot join them — a DataFrame
        (:func:`decode_frames`).
        """
        import pyarrow as pa

        t = models.stored_outcomes
        payloads: dict[str, list[tuple[str, bytes]]] = {}
        chunks: list[Sequence[str] | None] = [None]
        if patient_ids is not None:
            ids = sorted(patient_ids)
            chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)]
        with self._reading("read the stored outcomes") as conn:
            for chunk in chunks:
                stmt = sa.select(t.c.table_name, t.c.patient_id, t.c.payload).where(
                    t.c.fingerprint == fingerprint, t.c.table_name.in_(list(names))
                )
                stmt = self._outcomes_scope(stmt, clinician_user_id, chunk)
                for name, pid, payload in conn.execute(stmt):
                    payloads.setdefault(str(name), []).append((str(pid), bytes(payload)))
        out: dict[str, Any] = {}
        for name, parts in payloads.items():
            parts.sort(key=lambda part: part[0])
            raw = [payload for _, payload in parts]
            try:
                out[name] = _sorted_by_patient(pa.concat_tables(decoded_tables(raw)))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                out[name] = decode_frames(raw)
        return out

    def _write_snapshots(
        self, scope: str, fingerprint: str, tables: dict[str, tuple[dict[str, str], Any]]
    ) -> None:
        import pyarrow as pa

        s = models.outcome_snapshots
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        rows = []
        for name, (members, table) in tables.items():
            ids = sorted(members)
            member_table = pa.table(
                {
                    "patient_id": pa.array(ids, pa.string()),
                    "stamp": pa.array([members[p] for p in ids], pa.string()),
                }
            )
            rows.append(
                {
                    "scope": scope,
                    "fingerprint": fingerprint,
                    "table_name": name,
                    "members": _ipc(member_table, compress=False),
                    "payload": _ipc(table, compress=True),
                    "updated_at": now,
                }
            )

        def work(conn: sa.Connection) -> None:
            # this scope's snapshots of other settings are dropped; the named tables replaced
            conn.execute(s.delete().where(s.c.scope == scope, s.c.fingerprint != fingerprint))
            conn.execute(
                s.delete().where(
                    s.c.scope == scope,
                    s.c.fingerprint == fingerprint,
                    s.c.table_name.in_(list(tables)),
                )
            )
            conn.execute(s.insert(), rows)

        try:
            self._write("keep the outcome snapshot", work)
        except Exception as exc:  # a cache: the rows are returned all the same
            _log.warning("The outcome snapshot of %s was not written: %s", scope, exc)

    def keep_snapshot(
        self, fingerprint: str, tables: dict[str, Any], *, updated_at: dt.datetime
    ) -> bool:
        """Write the clinic's snapshot from tables just computed and stored (an import).

        ``tables`` holds, per table name, the rows of the patients whose stored rows
        were written with ``updated_at`` (Arrow tables, ``patient_id`` order). The
        snapshot becomes the clinic's current one when every patient changed since
        the kept snapshot (or, without one, every patient of the clinic) is among
        them with that stamp; the other patients' rows come from the kept snapshot.
        Otherwise nothing is written and the next read builds it as usual.

        Returns
        -------
        bool
            Whether the snapshot was written.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        names = [name for name, table in tables.items() if table.num_rows]
        if not names:
            return False
        stamps = self.outcome_stamps(fingerprint)
        ours = _stamp(updated_at)
        computed = (
            set(_ids(tables["patient_outcomes"]).to_pylist())
            if ("patient_outcomes" in tables)
            else set()
        )
        members = self._snapshot_members(CLINIC_SCOPE, fingerprint, names)
        changed = _changed_members(stamps, members, names)
        whole = [n for n in names if n not in changed]
        if whole and not stamps.keys() <= computed:
            return False
        patched = sorted({p for n in changed for p in changed[n]})
        if any(p not in computed or stamps[p] != ours for p in patched) or any(
            stamps.get(p) != ours for p in computed
        ):
            return False  # rows of another writer since, or a patient left out
        old = self._snapshot_rows(CLINIC_SCOPE, fingerprint, list(changed)) if changed else {}
        to_write: dict[str, tuple[dict[str, str], Any]] = {}
        for name in names:
            new = tables[name]
            if name in changed:
                if name not in old:
                    return False
                gone = pa.array(changed[name], pa.string())
                kept = old[name].filter(pc.invert(pc.is_in(_ids(old[name]), gone)))
                try:
                    new = pa.concat_tables([kept, new.filter(pc.is_in(_ids(new), gone))])
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    return False
            to_write[name] = (stamps, _sorted_by_patient(new))
        self._write_snapshots(CLINIC_SCOPE, fingerprint, to_write)
        return True

    def forget_snapshots(self, actor: str) -> None:
        """Drop every outcome snapshot (they are rebuilt from the stored rows on the next read)."""
        check_actor(actor, "Store.forget_snapshots")
        s = models.outcome_snapshots
        self._write("drop the outcome snapshots", lambda conn: conn.execute(s.delete()))

    def scope_outcomes(
        self,
        fingerprint: str,
        names: Sequence[str],
        *,
        scope: str,
        clinician_user_id: int | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Read the stored tables ``names`` of every patient in a scope, through its snapshot.

        Parameters
        ----------
        fingerprint : str
        names : sequence of str
            Per-patient tables to read.
        scope : str
            :data:`CLINIC_SCOPE`, or :func:`clinician_scope` of ``clinician_user_id``.
        clinician_user_id : int, optional
            Restricts the scope to that clinician's assigned patients (in SQL).

        Returns
        -------
        dict of str to DataFrame
            As :meth:`read_outcomes`: by table name, the patients' rows in
            ``patient_id`` order; a table no patient has rows in is absent.
        """
        import pyarrow as pa

        expected = CLINIC_SCOPE if clinician_user_id is None else clinician_scope(clinician_user_id)
        if scope != expected:
            raise ValueError(
                f"The 'scope' parameter of Store.scope_outcomes must be {expected!r} for "
                f"this clinician_user_id. Got {scope!r} instead."
            )
        stamps = self.outcome_stamps(fingerprint, clinician_user_id=clinician_user_id)
        changed = _changed_members(stamps, self._snapshot_members(scope, fingerprint, names), names)
        old = self._snapshot_rows(scope, fingerprint, list(changed)) if changed else {}
        fresh = self._fresh_rows(fingerprint, names, old, changed, clinician_user_id)

        out: dict[str, Any] = {}
        to_write: dict[str, tuple[dict[str, str], Any]] = {}
        for name in names:
            new = fresh.get(name)
            if name in old and changed[name]:
                new = self._patched(
                    fingerprint, name, old[name], changed[name], new, clinician_user_id
                )
            elif name in old:
                new = old[name]
            if isinstance(new, pa.Table) and new is not old.get(name):
                to_write[name] = (stamps, new)
            if new is not None:
                out[name] = new
        if to_write:
            self._write_snapshots(scope, fingerprint, to_write)
        frames = {
            name: rows.to_pandas() if isinstance(rows, pa.Table) else rows
            for name, rows in out.items()
        }
        return {name: frame for name, frame in frames.items() if len(frame)}

    def _fresh_rows(
        self,
        fingerprint: str,
        names: Sequence[str],
        old: dict[str, Any],
        changed: dict[str, list[str]],
        clinician_user_id: int | None,
    ) -> dict[str, Any]:
        """Read the stored rows a scope's snapshot lacks, per table.

        A table without a usable snapshot is read whole; the tables whose snapshot holds
        changed patients are read for those patients only (all of them, in one read).
        """
        whole = [n for n in names if n not in old]
        patch_ids = sorted({p for n in old for p in changed[n]})
        fresh: dict[str, Any] = {}
        if whole:
            fresh.update(self._stored_rows(fingerprint, whole, clinician_user_id, None))
        if patch_ids:
            patch_names = [n for n in old if changed[n]]
            limit = patch_ids if len(patch_ids) <= _PATCH_LIMIT else None
            fresh.update(self._stored_rows(fingerprint, patch_names, clinician_user_id, limit))
        return fresh

    def _patched(
        self,
        fingerprint: str,
        name: str,
        snapshot: Any,
        changed: list[str],
        new: Any,
        clinician_user_id: int | None,
    ) -> Any:
        """Replace the rows of the ``changed`` patients in a table's snapshot by ``new``.

        ``new`` holds the stored rows read for the changed patients (None when none of
        them has rows in this table any more). When the snapshot and the new rows no
        longer share their columns, every patient's stored rows are read instead.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        gone = pa.array(changed, pa.string())
        kept = snapshot.filter(pc.invert(pc.is_in(_ids(snapshot), gone)))
        if isinstance(new, pa.Table):
            # the read covered the patients changed in any table asked for (or the whole
            # scope): only those changed in this one replace its rows
            new = new.filter(pc.is_in(_ids(new), gone))
        merged = None
        if new is None or isinstance(new, pa.Table):
            try:
                merged = kept if new is None else pa.concat_tables([kept, new])
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                merged = None
        if merged is None:  # other columns since: every patient's stored rows
            return self._stored_rows(fingerprint, [name], clinician_user_id, None).get(name)
        return _sorted_by_patient(merged)


def _changed_members(
    stamps: dict[str, str], members: dict[str, dict[str, str]], names: Sequence[str]
) -> dict[str, list[str]]:
    """Find the usable snapshots and, for each, the patients changed since it was kept.

    A snapshot is usable when it exists and holds no patient that left the scope;
    a patient has changed when its stamp differs from the one the snapshot holds (or
    it is new to the scope).
    """
    changed: dict[str, list[str]] = {}
    for name in names:
        had = members.get(name)
        if had is None or not had.keys() <= stamps.keys():
            continue  # none yet, or it holds a patient no longer in the scope: not read
        changed[name] = sorted(p for p, at in stamps.items() if had.get(p) != at)
    return changed
