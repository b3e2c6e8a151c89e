"""Bulk import and export of whole datasets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.contract import Dataset, empty_frame
from analytics.contract.schema import TABLES, TableSpec
from analytics.errors import ConflictError, DataValidationError
from analytics.store import _models as models
from analytics.store._courses import record_imported_course_ends
from analytics.store._edits import Edits
from analytics.store._entries import import_entries
from analytics.store._onboarding import assign_by_code
from analytics.store._questionnaires import import_answers
from analytics.store._results import CONFLICT_COLUMNS, ImportReport
from analytics.store._values import Table, cell_text, check_actor, same_value, table_records

__all__ = ["Import", "CHUNK_ROWS"]

#: Rows per INSERT batch during an import.
CHUNK_ROWS = 20_000
_ORDER: tuple[Table, ...] = ("patients", "sessions", "diary")  # import order: parents first


class Import(Edits):
    """Set-based, all-or-nothing imports; exports recorded in the audit log."""

    def _stored_for(
        self, conn: sa.Connection, table: Table, patient_ids: np.ndarray
    ) -> pd.DataFrame:
        """Read the stored rows of the given patients (the whole table when they are many)."""
        if len(patient_ids) > 2000:
            return self._frame(conn, table, self._select(table))
        t = models.DATA_TABLES[table]
        parts = [
            self._frame(
                conn,
                table,
                self._select(table).where(t.c.patient_id.in_(patient_ids[i : i + 500].tolist())),
            )
            for i in range(0, len(patient_ids), 500)
        ]
        return pd.concat(parts, ignore_index=True) if parts else empty_frame(table)

    def _insert(self, conn: sa.Connection, table: Table, frame: pd.DataFrame) -> None:
        """Bulk insert on the raw driver: COPY on PostgreSQL, executemany of tuples on SQLite.

        The values are those SQLAlchemy's column types bind (ISO text for dates
        on SQLite; COPY's text format on PostgreSQL); a driver error is raised as
        SQLAlchemy's DBAPIError, so the store's retries and messages apply.
        """
        spec = TABLES[table]
        columns = ", ".join(f'"{c}"' for c in spec.column_names)
        dbapi = conn.connection.dbapi_connection
        driver_error = conn.dialect.dbapi.Error if conn.dialect.dbapi else Exception
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS]
            if self.dialect == "postgresql" and dbapi is not None:
                sql = f"COPY {table} ({columns}) FROM STDIN"
                try:
                    cursor: Any = dbapi.cursor()  # psycopg's cursor, with copy()
                    with cursor, cursor.copy(sql) as copy:
                        copy.write(_copy_text(spec, chunk))
                except driver_error as exc:
                    raise sa.exc.DBAPIError.instance(sql, None, exc, driver_error) from exc
            elif self.dialect == "sqlite" and dbapi is not None:
                # columns without a value in any row are left to their default, NULL:
                # SQLite binds each value of each row, so fewer columns bind faster
                named, values = _sqlite_values(spec, chunk, models.DATA_TABLES[table])
                marks = ", ".join("?" * len(named))
                listed = ", ".join(f'"{c}"' for c in named)
                sql = f"INSERT INTO {table} ({listed}) VALUES ({marks})"
                rows = list(zip(*values, strict=True))
                cursor = dbapi.cursor()
                try:
                    cursor.executemany(sql, rows)
                except driver_error as exc:
                    raise sa.exc.DBAPIError.instance(sql, None, exc, driver_error) from exc
                finally:
                    cursor.close()
            else:
                conn.execute(models.DATA_TABLES[table].insert(), table_records(spec, chunk))

    def _compare(self, conn: sa.Connection, table: Table, incoming: pd.DataFrame) -> dict[str, Any]:
        spec = TABLES[table]
        key = list(spec.key)
        stored = self._stored_for(conn, table, incoming["patient_id"].unique())
        merged = incoming.merge(
            stored, on=key, how="left", suffixes=("", "__stored"), indicator=True
        )
        is_new = (merged["_merge"] == "left_only").to_numpy()
        both = merged[~is_new].reset_index(drop=True)
        others = [c for c in spec.column_names if c not in key]
        diff = pd.DataFrame(
            {c: ~same_value(both[c], both[c + "__stored"]) for c in others}, index=both.index
        )
        changed = diff.any(axis=1).to_numpy() if others else np.zeros(len(both), bool)
        key_col = key[-1]
        kind = spec.column(key_col).kind
        key_text = cell_text(both[key_col], kind) if kind in ("date", "datetime") else both[key_col]
        parts = []  # one block per differing column: vectorised, no loop per cell
        for c in others:
            rows = np.flatnonzero(diff[c].to_numpy())
            if len(rows):
                col_kind = spec.column(c).kind
                parts.append(
                    pd.DataFrame(
                        {
                            "table": table,
                            "patient_id": both["patient_id"].to_numpy()[rows],
                            "key": key_text.to_numpy()[rows],
                            "column": c,
                            "stored": cell_text(
                                both[c + "__stored"].iloc[rows], col_kind
                            ).to_numpy(),
                            "incoming": cell_text(both[c].iloc[rows], col_kind).to_numpy(),
                            "_row": rows,
                        }
                    )
                )
        conflicts = pd.DataFrame(columns=CONFLICT_COLUMNS).astype("str")
        if parts:
            conflicts = (
                pd.concat(parts, ignore_index=True)
                .sort_values("_row", kind="stable")[CONFLICT_COLUMNS]
                .reset_index(drop=True)
                .astype("str")
            )
        return {
            "new": merged.loc[is_new, spec.column_names],
            "changed_new": both.loc[changed, spec.column_names],
            "changed_old": both.loc[changed, key + [c + "__stored" for c in others]].rename(
                columns={c + "__stored": c for c in others}
            )[spec.column_names],
            "n_unchanged": int((~changed).sum()),
            "conflicts": conflicts,
        }

    def import_dataset(
        self,
        actor: str,
        dataset: Dataset,
        *,
        update: bool = False,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
        role: str = "",
        face: str = "",
    ) -> ImportReport:
        """Write a loaded dataset in one transaction: all or nothing.

        Parameters
        ----------
        actor : str
        dataset : analytics.contract.Dataset
            Canonical frames (already validated by the loader).
        update : bool, default False
            Overwrite stored rows whose values differ (old values go to the
            history). Without it such rows are conflicts.
        dry_run : bool, default False
            Compute the report, write nothing (the dashboard's preview).
        progress : callable, optional
            Called as ``progress(rows_written, rows_to_write)`` as the new rows
            are inserted (e.g. :class:`analytics.cli.ProgressBar`).
        role, face : str, optional
            Written with ``actor`` to the import's audit row.

        Returns
        -------
        ImportReport
            ``applied=True`` when written; with ``dry_run`` ``applied=False``.

        Raises
        ------
        ConflictError
            Conflicts were found, ``update`` is False and ``dry_run`` is False:
            nothing was written; the exception's ``report`` attribute is the
            ImportReport (``applied=False``) listing them.
        DataValidationError
            Diary rows or sessions name patients that are neither in the dataset
            nor stored.
        StoreError
            The database failed; nothing was written.

        Notes
        -----
        Re-importing the same data changes nothing (every row is "unchanged").
        Inserts are set-based (COPY on PostgreSQL, batched executemany on
        SQLite); each updated row gets a history entry; the import itself is
        recorded in the audit log with its counts. Rows stored but absent from
        the dataset are left alone (an import never deletes). New patients whose
        ``clinician_id`` is mapped to a clinician account are assigned to it in the
        same transaction, one audit row ("user_admin") per clinician.
        """
        func = "Store.import_dataset"
        check_actor(actor, func)
        frames: dict[str, pd.DataFrame] = {t: getattr(dataset, t) for t in TABLES}
        for t, f in frames.items():
            if list(f.columns) != TABLES[t].column_names:
                raise ValueError(
                    f"The 'dataset' parameter of {func} must hold canonical frames; {t} has columns "
                    f"{list(f.columns)} instead of {TABLES[t].column_names}."
                )

        def work(conn: sa.Connection) -> ImportReport:
            self._check_references(conn, frames)
            found: dict[str, dict[str, Any]] = {
                t: self._compare(conn, t, frames[t]) for t in _ORDER
            }
            report = _import_report(frames, found, update=update, dry_run=dry_run)
            if not report.applied:
                conn.rollback()
                return report
            self._write_rows(conn, actor, found, update=update, progress=progress)
            import_answers(conn, actor, dataset.questionnaires, update=update)
            import_entries(conn, actor, dataset.entries, update=update)
            # courses the file ends (course_end): recorded as every change of a course is
            written = [found["patients"]["new"]]
            if update:
                written.append(found["patients"]["changed_new"])
            record_imported_course_ends(conn, actor, pd.concat(written, ignore_index=True))
            self._audit(
                conn, actor, "import", report.to_frame().set_index("table").to_dict("index"),
                role=role, face=face, patient_id="*",
            )  # fmt: skip
            # new patients whose clinician code is mapped go to that clinician
            for clinician, ids in assign_by_code(conn, actor, report.new_patients).items():
                detail = {"op": "assign", "clinician": clinician, "patient_ids": ids,
                          "newly": len(ids), "by": "clinician code"}  # fmt: skip
                self._audit(conn, actor, "user_admin", detail, role=role, face=face)
            return report

        report = self._write("import the dataset", work)
        if report.n_conflicts and not update and not dry_run:
            exc = ConflictError(
                f"{report.n_conflicts} incoming row(s) differ from the stored values "
                f"({len(report.conflicts)} cell(s)); nothing was imported. Review the conflicts and "
                "import with update=True (--update) to overwrite them; the old values are kept in "
                "the history."
            )
            exc.report = report
            raise exc
        return report

    def _write_rows(
        self,
        conn: sa.Connection,
        actor: str,
        found: dict[str, dict[str, Any]],
        *,
        update: bool,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        """Insert the new rows in chunks, parents first; with ``update``, the changed rows."""
        total = sum(len(found[t]["new"]) for t in _ORDER)
        written = 0
        for t in _ORDER:
            new_rows = found[t]["new"]
            for start in range(0, max(len(new_rows), 1), CHUNK_ROWS):
                chunk = new_rows.iloc[start : start + CHUNK_ROWS]
                self._insert(conn, t, chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written, total)
            if update and len(found[t]["changed_new"]):
                self._update_rows(conn, actor, t, found[t]["changed_old"], found[t]["changed_new"])

    def _check_references(self, conn: sa.Connection, frames: Mapping[str, pd.DataFrame]) -> None:
        referenced = pd.Index(frames["diary"]["patient_id"]).union(
            pd.Index(frames["sessions"]["patient_id"])
        )
        missing = referenced.difference(pd.Index(frames["patients"]["patient_id"])).unique()
        if not len(missing):
            return
        t = models.patients
        stored: set[str] = set()
        ids = missing.tolist()
        for i in range(0, len(ids), 500):
            stored.update(
                conn.execute(
                    sa.select(t.c.patient_id).where(t.c.patient_id.in_(ids[i : i + 500]))
                ).scalars()
            )
        unknown = sorted(set(ids) - stored)
        if unknown:
            shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
            raise DataValidationError(
                f"{len(unknown)} patient(s) named by diary rows or sessions are neither in patients.csv "
                f"nor stored: {shown}. Add them to patients.csv; nothing was imported."
            )

    def _update_rows(
        self, conn: sa.Connection, actor: str, table: Table, old: pd.DataFrame, new: pd.DataFrame
    ) -> None:
        spec = TABLES[table]
        t = models.DATA_TABLES[table]
        new_rows = table_records(spec, new)
        old_rows = table_records(spec, old)
        stmt = (
            t.update()
            .where(*(t.c[k] == sa.bindparam(f"k_{k}") for k in spec.key))
            .values({c: sa.bindparam(c) for c in spec.column_names if c not in spec.key})
        )
        conn.execute(stmt, [{**r, **{f"k_{k}": r[k] for k in spec.key}} for r in new_rows])
        self._history(conn, actor, "update", table, list(zip(old_rows, new_rows, strict=True)))

    def export_dataset(
        self, actor: str, patient_id: str | None = None, *, role: str = "", face: str = ""
    ) -> Dataset:
        """Export the stored data (one patient or all) as a Dataset, recorded in the audit log.

        Write it to CSV with :func:`analytics.io.write_dataset`.
        """
        check_actor(actor, "Store.export_dataset")
        ds = self._dataset(patient_id, "export the dataset")
        detail = {"patient_id": patient_id, **{t: len(getattr(ds, t)) for t in TABLES}}
        self._write(
            "record the export",
            lambda conn: self._audit(
                conn, actor, "export", detail, role=role, face=face,
                patient_id=patient_id if patient_id is not None else "*",
            ),
        )  # fmt: skip
        return ds


def _import_report(
    frames: Mapping[str, pd.DataFrame],
    found: dict[str, dict[str, Any]],
    *,
    update: bool,
    dry_run: bool,
) -> ImportReport:
    """Count what an import inserts, leaves, updates and finds in conflict.

    The report is ``applied`` unless it is a dry run or there are conflicts and
    ``update`` is off.
    """
    n_conf = {t: len(found[t]["changed_new"]) for t in TABLES}
    conflicts = pd.concat(
        [found[t]["conflicts"] for t in TABLES if len(found[t]["conflicts"])]
        or [pd.DataFrame(columns=CONFLICT_COLUMNS).astype("str")],
        ignore_index=True,
    )
    return ImportReport(
        applied=not dry_run and (update or not sum(n_conf.values())),
        dry_run=dry_run,
        update=update,
        n_incoming={t: len(frames[t]) for t in TABLES},
        inserted={t: len(found[t]["new"]) for t in TABLES},
        unchanged={t: found[t]["n_unchanged"] for t in TABLES},
        updated={t: n_conf[t] if update else 0 for t in TABLES},
        conflicting=n_conf,
        conflicts=conflicts,
        new_patients=tuple(sorted(found["patients"]["new"]["patient_id"].astype("str").tolist())),
    )


def _iso(values: pd.Series, unit: str) -> np.ndarray:
    """ISO text of datetimes (``YYYY-MM-DD`` for unit D, else with the time), NaT as None."""
    arr = values.to_numpy(dtype="datetime64[ns]")
    text: Any = np.datetime_as_string(arr.astype(f"datetime64[{unit}]"), unit=unit)  # type: ignore[call-overload]
    if unit != "D":
        text = np.char.replace(text, "T", " ")
    out = text.astype(object)
    out[np.isnat(arr)] = None
    return out


def _sqlite_values(
    spec: TableSpec, frame: pd.DataFrame, table: sa.Table
) -> tuple[list[str], list[list[Any]]]:
    """Columns and column lists of the values SQLAlchemy binds on SQLite (dates as ISO text).

    A column NULL in every row is left out when the table gives it no default.
    """
    names: list[str] = []
    out: list[list[Any]] = []
    for col in spec.columns:
        s = frame[col.name]
        missing = s.isna().to_numpy()
        if missing.all() and len(s) and table.c[col.name].server_default is None:
            continue
        if col.kind == "date":
            values = _iso(s, "D")
        elif col.kind == "datetime":
            values = _iso(s, "us")  # SQLAlchemy's DATETIME text, microseconds
        elif col.kind == "number":
            values = s.to_numpy(dtype="float64", na_value=np.nan)
            if missing.any():
                values = values.astype(object)
                values[missing] = None
        elif col.kind == "integer" and not missing.any():
            values = s.to_numpy(dtype="int64")
        else:
            values = s.to_numpy(dtype=object, na_value=None)
        names.append(col.name)
        out.append(values.tolist())
    return names, out


#: Characters COPY's text format escapes with a backslash (the backslash first).
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_column(kind: str, s: pd.Series) -> Any:
    r"""One column as COPY text cells (an Arrow string array; ``\N`` for NULL)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = s.isna().to_numpy()
    if kind in ("date", "datetime"):
        text = pa.array(_iso(s, "D" if kind == "date" else "us"), pa.string())
    elif kind == "number":
        arr = pa.array(s.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
        text = pc.cast(arr, pa.string())
    elif kind == "integer":
        text = pc.cast(pa.array(s.astype("Int64"), pa.int64()), pa.string())
    else:
        text = pa.array(s.astype(object).where(~s.isna(), None), pa.string())
        for raw, escaped in _COPY_ESCAPES:
            if pc.any(pc.match_substring(text, raw)).as_py():
                text = pc.replace_substring(text, raw, escaped)
    if missing.any():
        text = pc.if_else(pa.array(missing), pa.scalar("\\N"), text)
    return text


def _copy_text(spec: TableSpec, frame: pd.DataFrame) -> bytes:
    r"""Rows of ``frame`` in PostgreSQL's COPY text format (tab-separated, ``\N`` for NULL).

    Built column by column in Arrow: the cells are joined into lines, and the
    lines' bytes taken as they lie in the joined array's data buffer.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(frame):
        return b""
    cells = [_copy_column(col.kind, frame[col.name].reset_index(drop=True)) for col in spec.columns]
    ends = pa.array(np.full(len(frame), ""), pa.string())
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, "\t"), ends, "\n")
    lines = pa.concat_arrays([lines]) if lines.offset else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1)
    data = lines.buffers()[2]
    return data.to_pybytes()[offsets[0] : offsets[-1]]
