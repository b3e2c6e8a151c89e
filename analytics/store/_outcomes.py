"""Stored outcomes: each patient's per-patient analysis tables, kept in the database.

One row of ``stored_outcomes`` holds one table of one patient computed with one
settings *fingerprint* (a hash of the settings that shape per-patient rows; see
:func:`analytics.pipeline.settings_fingerprint`). The rows travel as an Arrow IPC
stream, which keeps every pandas dtype (categories, nullable integers, dates) so
that the frames read back equal the computed ones. The store only keeps and
returns them; :class:`analytics.service.Service` decides when to compute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.store import _models as models
from analytics.store._queries import Queries
from analytics.store._values import check_actor

__all__ = ["Outcomes", "encode_frame", "encode_frames", "decode_frame", "decode_frames"]


def encode_frame(frame: Any) -> bytes:
    """Encode the rows of ``frame`` as an Arrow IPC stream.

    ``frame`` is a DataFrame (its index dropped) or an Arrow table.
    """
    import pyarrow as pa

    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


#: The end-of-stream marker of an Arrow IPC stream (continuation token, length 0).
_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def encode_frames(frames: Sequence[Any]) -> list[bytes]:
    """Encode each of ``frames`` as :func:`encode_frame` does, byte for byte, faster.

    Frames of one schema (with the same dictionaries), such as the patients'
    slices of one table, share the stream's first messages: those are encoded
    once, and each frame adds only its record batches and the end-of-stream
    marker. Frames of one schema are best given one after another.
    """
    import pyarrow as pa

    prefixes: dict[Any, bytes | None] = {}
    schema: Any = None
    schema_key = b""
    dictionary_at: list[int] = []
    out: list[bytes] = []
    for frame in frames:
        table = (
            frame
            if isinstance(frame, pa.Table)
            else pa.Table.from_pandas(frame, preserve_index=False)
        )
        if schema is None or not table.schema.equals(schema, check_metadata=True):
            schema = table.schema
            schema_key = schema.serialize().to_pybytes()
            dictionary_at = [i for i, f in enumerate(schema) if pa.types.is_dictionary(f.type)]
        batches = table.to_batches()
        columns = [table.column(i) for i in dictionary_at]
        if not batches or any(c.num_chunks != 1 for c in columns):
            # no batch to cut at, or dictionaries the writer may emit between batches
            out.append(encode_frame(table))
            continue
        key = (schema_key, tuple(tuple(c.chunk(0).dictionary.to_pylist()) for c in columns))
        body = b"".join([batch.serialize().to_pybytes() for batch in batches])
        if key not in prefixes:
            whole = encode_frame(table)
            head = whole[: len(whole) - len(body) - len(_EOS)]
            prefixes[key] = head if head + body + _EOS == whole else None
            out.append(whole)
            continue
        shared = prefixes[key]
        out.append(encode_frame(table) if shared is None else shared + body + _EOS)
    return out


def decode_frame(payload: bytes) -> pd.DataFrame:
    """Decode the frame :func:`encode_frame` wrote."""
    import pyarrow as pa

    with pa.ipc.open_stream(pa.py_buffer(payload)) as reader:
        return reader.read_all().to_pandas()


def _read_stream(data: bytes) -> Any:
    import pyarrow as pa

    with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
        return reader.read_all()


def decoded_tables(payloads: Sequence[bytes]) -> list[Any]:
    """Decode ``payloads`` into Arrow tables, consecutive payloads of one schema read as one.

    Payloads cut from one table share their schema message byte for byte: their
    record batches are joined behind it into a single stream, read at once instead
    of stream by stream. A run Arrow refuses to read that way (dictionary columns)
    is read payload by payload.
    """
    import pyarrow as pa

    out: list[Any] = []
    prefix = b""
    run: list[bytes] = []

    def flush() -> None:
        if not run:
            return
        try:
            out.append(_read_stream(prefix + b"".join(run) + _EOS))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out.extend(_read_stream(prefix + part + _EOS) for part in run)
        run.clear()

    for payload in payloads:
        if not payload.endswith(_EOS):
            flush()
            out.append(_read_stream(payload))
            continue
        if not (prefix and payload.startswith(prefix)):
            flush()
            reader = pa.BufferReader(payload)
            pa.ipc.read_message(reader)  # the schema message
            prefix = payload[: reader.tell()]
        run.append(payload[len(prefix) : -len(_EOS)])
    flush()
    return out


def decode_frames(payloads: Sequence[bytes]) -> pd.DataFrame:
    """Decode several :func:`encode_frame` payloads into one frame, concatenated in order.

    The Arrow tables are concatenated first and converted once (fast for thousands
    of patients); when their schemas cannot be unified the frames are converted one
    by one and concatenated by pandas.
    """
    import pyarrow as pa

    tables = decoded_tables(payloads)
    if len(tables) == 1:
        return tables[0].to_pandas()
    try:
        # one schema when the rows were cut from one table (Arrow compares the fields,
        # not the metadata, and keeps the first table's)
        return pa.concat_tables(tables).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    return pd.concat([t.to_pandas() for t in tables], ignore_index=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Outcomes(Queries):
    """Reads and writes of ``stored_outcomes``."""

    def _outcomes_scope(
        self,
        stmt: sa.Select,
        clinician_user_id: int | None,
        patient_ids: Sequence[str] | None,
    ) -> sa.Select:
        t = models.stored_outcomes
        if clinician_user_id is not None:
            cp = models.clinician_patients
            assigned = sa.select(cp.c.patient_id).where(cp.c.user_id == clinician_user_id)
            stmt = stmt.where(t.c.patient_id.in_(assigned))
        if patient_ids is not None:
            stmt = stmt.where(t.c.patient_id.in_(list(patient_ids)))
        return stmt

    def write_outcomes(
        self,
        actor: str,
        fingerprint: str,
        tables: Mapping[str, Mapping[str, Any]],
        *,
        replace_ids: Iterable[str] = (),
        updated_at: dt.datetime | None = None,
    ) -> int:
        """Store the tables of some patients, replacing what they had (one transaction).

        Parameters
        ----------
        actor : str
        fingerprint : str
            The settings fingerprint the tables were computed with.
        tables : mapping of patient id to mapping of table name to frame
            Every table of each patient (their rows only), as DataFrames or Arrow
            tables (:func:`analytics.pipeline.split_by_patient`).
        replace_ids : iterable of str
            Further patients whose stored rows (any fingerprint) are dropped.
        updated_at : datetime, optional
            The rows' ``updated_at`` (naive UTC; default: now), e.g. one time for
            every batch of an import, which :meth:`Store.keep_snapshot` then knows.

        Returns
        -------
        int
            Rows written.
        """
        check_actor(actor, "Store.write_outcomes")
        t = models.stored_outcomes
        now = utcnow() if updated_at is None else updated_at
        # table by table: consecutive frames of one schema share their encoding's start
        keys = sorted(
            ((pid, name) for pid, frames in tables.items() for name in frames),
            key=lambda k: k[1],
        )
        payloads = encode_frames([tables[pid][name] for pid, name in keys])
        rows = [
            (str(pid), fingerprint, name, payload, hashlib.sha256(payload).hexdigest(), now)
            for (pid, name), payload in zip(keys, payloads, strict=True)
        ]
        ids = sorted({str(p) for p in tables} | {str(p) for p in replace_ids})

        def work(conn: sa.Connection) -> int:
            for start in range(0, len(ids), 500):
                conn.execute(t.delete().where(t.c.patient_id.in_(ids[start : start + 500])))
            dbapi = conn.connection.dbapi_connection
            columns = "patient_id, fingerprint, table_name, payload, digest, updated_at"
            if rows and self.dialect == "sqlite" and dbapi is not None:
                # the raw driver: SQLAlchemy's per-row parameter processing costs more
                # than SQLite's insert for tens of thousands of rows (its DATETIME text)
                stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
                cursor = dbapi.cursor()
                try:
                    cursor.executemany(
                        f"INSERT INTO stored_outcomes ({columns}) VALUES (?, ?, ?, ?, ?, ?)",
                        [(*r[:5], stamp) for r in rows],
                    )
                finally:
                    cursor.close()
            elif rows and self.dialect == "postgresql" and dbapi is not None:
                sql = f"COPY stored_outcomes ({columns}) FROM STDIN"
                driver_error = conn.dialect.dbapi.Error if conn.dialect.dbapi else Exception
                try:
                    raw: Any = dbapi.cursor()  # psycopg's cursor: COPY, values adapted by it
                    with raw, raw.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row)
                except driver_error as exc:
                    raise sa.exc.DBAPIError.instance(sql, None, exc, driver_error) from exc
            elif rows:
                names = ("patient_id", "fingerprint", "table_name", "payload", "digest")
                conn.execute(
                    t.insert(),
                    [{**dict(zip(names, r, strict=False)), "updated_at": now} for r in rows],
                )
            return len(rows)

        return self._write("store the outcomes", work)

    def forget_outcomes(self, actor: str, patient_ids: Sequence[str] | None = None) -> None:
        """Drop the stored rows of ``patient_ids`` (default: everyone's)."""
        check_actor(actor, "Store.forget_outcomes")
        t = models.stored_outcomes

        def work(conn: sa.Connection) -> None:
            if patient_ids is None:
                conn.execute(t.delete())
                return
            ids = [str(p) for p in patient_ids]
            for start in range(0, len(ids), 500):
                conn.execute(t.delete().where(t.c.patient_id.in_(ids[start : start + 500])))

        self._write("drop stored outcomes", work)

    def outcome_patient_ids(
        self,
        fingerprint: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Sorted ids of the patients (in the scope) with tables stored for ``fingerprint``."""
        t = models.stored_outcomes
        stmt = sa.select(t.c.patient_id).where(t.c.fingerprint == fingerprint).distinct()
        stmt = self._outcomes_scope(stmt, clinician_user_id, patient_ids)
        with self._reading("read the stored outcomes") as conn:
            return sorted(str(r[0]) for r in conn.execute(stmt))

    def outcomes_version(
        self,
        fingerprint: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> tuple[int, int, str]:
        """Stamp the stored rows of a scope cheaply; the stamp changes whenever a patient's rows do.

        The stamp is (patients in the scope, stored rows, latest ``updated_at`` as ISO
        text).
        """
        t = models.stored_outcomes
        stmt = sa.select(sa.func.count(), sa.func.max(t.c.updated_at)).where(
            t.c.fingerprint == fingerprint
        )
        stmt = self._outcomes_scope(stmt, clinician_user_id, patient_ids)
        p = models.patients
        n_stmt = self._scoped(
            sa.select(sa.func.count()).select_from(p), "patients", clinician_user_id, patient_ids
        )
        with self._reading("read the stored outcomes") as conn:
            n, latest = conn.execute(stmt).one()
            n_patients = conn.execute(n_stmt).scalar_one()
        return int(n_patients), int(n), "" if latest is None else pd.Timestamp(latest).isoformat()

    def read_outcomes(
        self,
        fingerprint: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Read the stored tables of the patients in the scope, in SQL.

        Returns
        -------
        dict of str to DataFrame
            By table name: the patients' rows concatenated in ``patient_id`` order
            (a table no patient has rows in is absent).
        """
        t = models.stored_outcomes
        stmt = (
            sa.select(t.c.table_name, t.c.patient_id, t.c.payload)
            .where(t.c.fingerprint == fingerprint)
            .order_by(t.c.table_name, t.c.patient_id)
        )
        stmt = self._outcomes_scope(stmt, clinician_user_id, patient_ids)
        payloads: dict[str, list[bytes]] = {}
        with self._reading("read the stored outcomes") as conn:
            for name, _pid, payload in conn.execute(stmt):
                payloads.setdefault(str(name), []).append(bytes(payload))
        return {name: decode_frames(parts) for name, parts in payloads.items()}

    def outcome_digests(
        self, fingerprint: str | None = None, *, patient_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """``patient_id, fingerprint, table_name, digest, updated_at`` of the stored rows."""
        t = models.stored_outcomes
        stmt = sa.select(
            t.c.patient_id, t.c.fingerprint, t.c.table_name, t.c.digest, t.c.updated_at
        ).order_by(t.c.patient_id, t.c.fingerprint, t.c.table_name)
        if fingerprint is not None:
            stmt = stmt.where(t.c.fingerprint == fingerprint)
        stmt = self._outcomes_scope(stmt, None, patient_ids)
        cols = ["patient_id", "fingerprint", "table_name", "digest", "updated_at"]
        with self._reading("read the stored outcomes") as conn:
            rows = conn.execute(stmt).fetchall()
        return pd.DataFrame([tuple(r) for r in rows], columns=cols)

    def all_patient_ids(self) -> list[str]:
        """Every stored patient id, sorted (for a refresh run by the service)."""
        p = models.patients
        with self._reading("read the patient ids") as conn:
            return sorted(str(r[0]) for r in conn.execute(sa.select(p.c.patient_id)))
