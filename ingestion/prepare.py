"""What each kind of file becomes before it is written: results in the canonical long shape,
typed records, roster rows; each with its rejected rows and counts."""

from __future__ import annotations

from .files import LandingFile, TextLayout, read_table
from .formats.base import RecordFormat, ResultFormat, RosterFormat, alternatives, first_present, q
from .grades import grade_sql
from .outcome import Write, loaded_outcome
from .row_checks import calendar_checks, duplicate_checks, errors_and_counts, formula_checks, rejection_write
from .value_sql import SCHOOL_YEAR_SQL, TIME_FORMATS, date_sql, file_column, number_sql, sql_literal


TYPED_RESULT_FIELDS = {
    "vendor_student_id", "state_student_id", "school_ref", "school_name", "reported_period",
    "assessment_date", "assessment_time", "enrolled_grade", "assessed_grade", "standard_error",
    "school_year", "typical_growth", "stretch_growth", "score_metric", "goal_score", "goal_date",
    "scale_score", "percentile", "vendor_level",
}


def _read_rows(con, landing_file: LandingFile, layout: TextLayout, columns: list[str], typed: str = "") -> None:
    """Read the file's `columns` as trimmed text (empty -> NULL), each as "~<name>", plus any `typed`
    expressions over them, and `_source_row`, into the temp table `_rows`."""
    table = read_table(landing_file, layout, columns)
    table = table.rename_columns(["~" + c if c != "_source_row" else c for c in table.column_names])
    trimmed = ", ".join(f"nullif(trim({file_column(c)}), '') as {file_column(c)}" for c in columns)
    extra = f", {typed}" if typed else ""
    con.register("_arrow_rows", table)
    try:
        con.execute(
            f"create or replace temp table _rows as select *{extra} from ("
            f"select _source_row{', ' + trimmed if trimmed else ''} from _arrow_rows)"
        )
    finally:
        con.unregister("_arrow_rows")


def prepare_results(con, landing_file: LandingFile, layout: TextLayout, fmt: ResultFormat, ingested_at, rules):
    """Read and check an assessment export; return its outcome and the writes that load it."""
    header = layout.header
    present = set(header)
    resolved = {canonical: first_present(column, present) for canonical, column in fmt.columns.items()}
    resolved = {k: v for k, v in resolved.items() if v}
    blocks = []
    for block in fmt.measures:
        score = first_present(block.score, present)
        if score:
            blocks.append((
                block, score, first_present(block.percentile, present), first_present(block.level, present),
                first_present(block.date, present),
            ))
    wanted = sorted(set(resolved.values()) | {c for b in blocks for c in b[1:] if c})

    def text(canonical: str) -> str:
        name = resolved.get(canonical)
        return file_column(name) if name else "null::varchar"

    date_formats = fmt.date_formats + ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

    def num(value_sql: str) -> str:
        return number_sql(value_sql, fmt.decimal_comma)
    extra_text = [k for k in resolved if k not in TYPED_RESULT_FIELDS]
    extra = "".join(f", {text(k)} as {q(k)}" for k in extra_text)
    # Every field the row's measures share is typed once per file row, in the reading pass.
    _read_rows(
        con, landing_file, layout, wanted,
        typed=f"""
            {text('vendor_student_id')} as vendor_student_id,
            {text('state_student_id')} as state_student_id,
            {text('school_ref')} as school_ref,
            {text('school_name')} as school_name,
            {text('reported_period')} as reported_period,
            {date_sql(text('assessment_date'), date_formats)} as assessment_date,
            try_strptime({text('assessment_time')}, {TIME_FORMATS})::time as assessment_time,
            {grade_sql(text('enrolled_grade'))} as enrolled_grade,
            {grade_sql(text('assessed_grade'))} as assessed_grade,
            {num(text('standard_error'))} as standard_error,
            {SCHOOL_YEAR_SQL.format(x=text('school_year'))} as reported_school_year,
            {num(text('typical_growth'))} as typical_growth,
            {num(text('stretch_growth'))} as stretch_growth,
            {text('score_metric')} as score_metric,
            {num(text('goal_score'))} as goal_score,
            {date_sql(text('goal_date'), date_formats)} as goal_date
            {extra}
        """,
    )
    rows_read = con.execute("select count(*) from _rows").fetchone()[0]
    base = (
        "_source_row, vendor_student_id, state_student_id, school_ref, school_name, enrolled_grade, "
        "assessed_grade, standard_error, reported_school_year, typical_growth, stretch_growth, score_metric, "
        "goal_score, goal_date, assessment_time"
    )
    branches = []
    if fmt.measure_expr:
        branches.append(
            f"select {base}, reported_period, assessment_date, {text('assessment_date')} as date_text, "
            f"{sql_literal(resolved.get('assessment_date'))} as date_column, "
            f"({fmt.measure_expr}) as measure_id, {text('scale_score')} as score_text, "
            f"{sql_literal(resolved.get('scale_score'))} as score_column, {text('percentile')} as percentile_text, "
            f"{sql_literal(resolved.get('percentile'))} as percentile_column, "
            f"{text('vendor_level')} as vendor_level from _rows"
        )
    for block, score, percentile, level, block_date in blocks:
        period = f"coalesce({sql_literal(block.period)}, reported_period)" if block.period else "reported_period"
        date_text = f"coalesce({file_column(block_date)}, {text('assessment_date')})" if block_date else text("assessment_date")
        date_value = (
            f"coalesce({date_sql(file_column(block_date), date_formats)}, assessment_date)" if block_date else "assessment_date"
        )
        date_column = f"case when {file_column(block_date)} is not null then {sql_literal(block_date)} else {sql_literal(resolved.get('assessment_date'))} end" if block_date else sql_literal(resolved.get("assessment_date"))
        only_given = f"{file_column(score)} is not null"
        if not fmt.score_required and level:
            only_given = f"({file_column(score)} is not null or {file_column(level)} is not null)"
        branches.append(
            f"select {base}, {period} as reported_period, {date_value} as assessment_date, {date_text} as date_text, "
            f"{date_column} as date_column, {sql_literal(block.measure_id)} as measure_id, "
            f"{file_column(score)} as score_text, {sql_literal(score)} as score_column, "
            f"{file_column(percentile) if percentile else 'null::varchar'} as percentile_text, "
            f"{sql_literal(percentile)} as percentile_column, "
            f"{file_column(level) if level else 'null::varchar'} as vendor_level from _rows where {only_given}"
        )
    if not branches:
        branches.append(
            f"select {base}, reported_period, assessment_date, null::varchar as date_text, null::varchar as date_column, "
            "null::varchar as measure_id, null::varchar as score_text, null::varchar as score_column, "
            "null::varchar as percentile_text, null::varchar as percentile_column, null::varchar as vendor_level "
            "from _rows where false"
        )
    con.execute(
        f"""
        create or replace temp view _long as
        select
            *,
            {num('score_text')} as scale_score,
            {num("rtrim(percentile_text, '%')")} as percentile
        from ({' union all '.join(branches)})
        """
    )

    def row_error(canonical: str, reason: str, detail: str, condition: str) -> str:
        return (
            f"select _source_row, {sql_literal(resolved.get(canonical, canonical))} as column_name, "
            f"'{reason}' as reason_code, {detail} as detail from _rows where {condition}"
        )

    def quoted(value_sql: str) -> str:
        return f"'''' || {value_sql} || ''''"

    checks = [
        row_error("vendor_student_id", "missing_value", "'a value is required'", "vendor_student_id is null"),
        "select _source_row, coalesce(date_column, 'assessment date'), 'missing_value', 'a value is required' "
        "from _long where date_text is null",
        "select _source_row, date_column, 'unparseable_date', 'cannot read ' || " + quoted("date_text") + " || ' as a date' "
        "from _long where date_text is not null and assessment_date is null",
        "select _source_row, score_column, 'unparseable_number', 'cannot read ' || " + quoted("score_text") + " || ' as a number' "
        "from _long where scale_score is null and score_text is not null",
        "select l._source_row, l.score_column, 'score_out_of_scale', 'the score ' || l.score_text || "
        "' is outside the scale of ' || l.measure_id || ' (' || s.scale_min || ' to ' || s.scale_max || ')' "
        "from _long l join _scale_ranges s on s.measure_id = l.measure_id "
        "where l.scale_score < s.scale_min or l.scale_score > s.scale_max",
        f"""
        select _source_row, date_column, 'date_outside_school_year',
               'the date ' || strftime(assessment_date, '%Y-%m-%d') || ' is not in the ' ||
               (reported_school_year - 1) || '-' || reported_school_year || ' school year the file states'
        from _long
        where reported_school_year is not null and assessment_date is not null
          and (assessment_date < make_date(reported_school_year - 1, {rules.year_start_month}, {rules.year_start_day})
               or assessment_date >= make_date(reported_school_year, {rules.year_start_month}, {rules.year_start_day}))
        """,
        *calendar_checks("assessment_date", "date_column", "_long", rules, observed=True),
        "select _source_row, percentile_column, 'unparseable_number', 'cannot read ' || " + quoted("percentile_text")
        + " || ' as a percentile' from _long "
        "where percentile is null and regexp_matches(percentile_text, '\\d')",
    ]
    if fmt.vendor:
        checks.append(
            f"select l._source_row, {sql_literal(resolved.get('measure_name', 'measure'))}, 'measure_of_another_source', "
            "l.measure_id || ' is a measure of ' || v.vendor || ': its results are loaded from ' || v.vendor || "
            "' exports only, so that they never mix with another source''s' "
            f"from _long l join _measure_vendors v on v.measure_id = l.measure_id where v.vendor <> {sql_literal(fmt.vendor)}"
        )
    if fmt.score_required:
        checks.append(
            "select _source_row, score_column, 'missing_value', 'a value is required' from _long "
            "where score_text is null and measure_id is not null"
        )
    else:
        checks.append(
            "select _source_row, score_column, 'missing_value', 'a score or a level is required' from _long "
            "where score_text is null and vendor_level is null"
        )
    if fmt.measure_expr:
        checks.append(
            f"select _source_row, {sql_literal(resolved.get('measure_name', resolved.get('measure_id', 'measure')))}, "
            "'unknown_measure', 'no configured measure has this name' from _long where measure_id is null"
        )
    else:
        checks.append(
            "select _source_row, 'scores', 'no_scores', 'the row holds no score for any measure' from _rows "
            "where _source_row not in (select _source_row from _long)"
        )
    for canonical in ("standard_error", "goal_score", "typical_growth", "stretch_growth"):
        if canonical in resolved:
            checks.append(row_error(
                canonical, "unparseable_number", "'cannot read ' || " + quoted(text(canonical)) + " || ' as a number'",
                f"{text(canonical)} is not null and {canonical} is null",
            ))
    if "goal_date" in resolved:
        checks.append(row_error(
            "goal_date", "unparseable_date", "'cannot read ' || " + quoted(text("goal_date")) + " || ' as a date'",
            f"{text('goal_date')} is not null and goal_date is null",
        ))
        checks += calendar_checks("goal_date", sql_literal(resolved["goal_date"]), "_rows", rules, observed=False)
    for grade in ("enrolled_grade", "assessed_grade"):
        if grade in resolved:
            checks.append(row_error(
                grade, "unparseable_grade", "'cannot read ' || " + quoted(text(grade)) + " || ' as a grade level'",
                f"{text(grade)} is not null and {grade} is null",
            ))
    checks += formula_checks(wanted)
    checks += duplicate_checks([file_column(c) for c in wanted], "(whole row)")
    rows_rejected, breakdown = errors_and_counts(con, checks)
    source_file = landing_file.relative_path.replace("'", "''")
    writes: list[Write] = []
    if rows_rejected:
        writes.append(rejection_write(landing_file, wanted, ingested_at))
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    writes.append((
        f"""
        insert into raw.{fmt.raw_table} by name
        select
            '{fmt.name}' as source_format,
            vendor_student_id, state_student_id, school_ref, school_name, measure_id, assessment_date,
            assessment_time, reported_period, enrolled_grade,
            coalesce(assessed_grade, enrolled_grade) as assessed_grade,
            scale_score, standard_error, percentile, vendor_level, reported_school_year, typical_growth,
            stretch_growth, score_metric, goal_score, goal_date,
            '{source_file}' as source_file, _source_row as source_row,
            '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _long
        {keep}
        """,
        [ingested_at],
    ))
    outcome = loaded_outcome(landing_file, fmt.name, rows_read, rows_rejected)
    outcome.rejections = breakdown
    return outcome, writes


def prepare_records(con, landing_file: LandingFile, layout: TextLayout, fmt: RecordFormat, ingested_at, rules):
    """Read, type and check a record file (interventions, goals, ...); return its outcome and writes."""
    present = set(layout.header)
    resolved = {name: first_present(f.column, present) for name, f in fmt.fields.items()}
    wanted = sorted({c for c in resolved.values() if c})

    def text(name: str) -> str:
        column = resolved.get(name)
        return file_column(column) if column else "null::varchar"

    def typed(name: str) -> str:
        kind = fmt.fields[name].kind
        if kind == "date":
            return date_sql(text(name), fmt.date_formats + ("%Y-%m-%d %H:%M:%S",))
        if kind == "number":
            return number_sql(text(name), fmt.decimal_comma)
        if kind == "integer":
            return f"try_cast({number_sql(text(name), fmt.decimal_comma)} as bigint)"
        return text(name)

    projection = ", ".join(f"{typed(name)} as {q('=' + name)}" for name in fmt.fields)
    _read_rows(con, landing_file, layout, wanted, typed=projection)
    rows_read = con.execute("select count(*) from _rows").fetchone()[0]
    checks = []
    for name, spec in fmt.fields.items():
        column = resolved.get(name) or alternatives(spec.column)[0]
        value = q("=" + name)
        if spec.required:
            checks.append(
                f"select _source_row, {sql_literal(column)}, 'missing_value', 'a value is required' from _rows "
                f"where {text(name)} is null"
            )
        if spec.kind in ("date", "number", "integer") and resolved.get(name):
            what = "a date" if spec.kind == "date" else "a number" if spec.kind == "number" else "a whole number"
            code = "unparseable_date" if spec.kind == "date" else "unparseable_number"
            checks.append(
                f"select _source_row, {sql_literal(column)}, '{code}', 'cannot read ''' || {text(name)} || ''' as {what}' "
                f"from _rows where {text(name)} is not null and {value} is null"
            )
        if spec.kind == "date" and resolved.get(name):
            checks += calendar_checks(value, sql_literal(column), "_rows", rules, observed=spec.observed)
        if spec.choices and resolved.get(name):
            allowed = ", ".join(sql_literal(c) for c in spec.choices)
            checks.append(
                f"select _source_row, {sql_literal(column)}, 'unknown_value', "
                f"'''' || {text(name)} || ''' is not one of: {', '.join(spec.choices)}' "
                f"from _rows where {text(name)} is not null and lower({text(name)}) not in ({allowed})"
            )
    checks += formula_checks(wanted)
    key = [q("=" + k) for k in fmt.key] if fmt.key else [file_column(c) for c in wanted]
    checks += duplicate_checks(key, "(record key)" if fmt.key else "(whole row)")
    rows_rejected, breakdown = errors_and_counts(con, checks) if checks else (0, {})
    source_file = landing_file.relative_path.replace("'", "''")
    writes: list[Write] = []
    if rows_rejected:
        writes.append(rejection_write(landing_file, wanted, ingested_at))
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    select = ", ".join(f"{q('=' + name)} as {q(name)}" for name in fmt.fields)
    writes.append((
        f"""
        insert into raw.{fmt.raw_table} by name
        select {select}, '{fmt.name}' as source_format, '{source_file}' as source_file, _source_row as source_row,
               '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _rows {keep}
        """,
        [ingested_at],
    ))
    outcome = loaded_outcome(landing_file, fmt.name, rows_read, rows_rejected)
    outcome.rejections = breakdown
    return outcome, writes


def prepare_roster(con, landing_file: LandingFile, layout: TextLayout, fmt: RosterFormat, ingested_at):
    """Read and check a roster table; return its outcome and the writes that load it as text."""
    columns = list(dict.fromkeys(c for c in layout.header if c))
    _read_rows(con, landing_file, layout, columns)
    rows_read = con.execute("select count(*) from _rows").fetchone()[0]
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [fmt.raw_table],
        ).fetchall()
    }
    writes: list[Write] = []
    if not existing:
        body = ", ".join(f"{q(c)} varchar" for c in columns)
        writes.append((
            f"create table raw.{fmt.raw_table} ({body}, source_file varchar, source_row bigint, "
            f"file_sha256 varchar, ingested_at timestamp)",
            [],
        ))
    # A new column in a later delivery is added; a column it no longer has stays, NULL for its rows.
    writes += [
        (f"alter table raw.{fmt.raw_table} add column {q(c)} varchar", [])
        for c in columns
        if existing and c not in existing
    ]
    present = set(columns)
    checks = [
        f"select _source_row, {sql_literal(first_present(c, present))}, 'missing_value', 'a value is required' "
        f"from _rows where {file_column(first_present(c, present))} is null"
        for c in fmt.required_columns
        if first_present(c, present)
    ]
    checks += formula_checks(columns)
    checks += duplicate_checks([file_column(c) for c in columns], "(whole row)")
    rows_rejected, breakdown = errors_and_counts(con, checks)
    source_file = landing_file.relative_path.replace("'", "''")
    if rows_rejected:
        writes.append(rejection_write(landing_file, columns, ingested_at))
    projection = ", ".join(f"{file_column(c)} as {q(c)}" for c in columns)
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    writes.append((
        f"""
        insert into raw.{fmt.raw_table} by name
        select {projection}, '{source_file}' as source_file, _source_row as source_row,
               '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _rows {keep}
        """,
        [ingested_at],
    ))
    outcome = loaded_outcome(landing_file, fmt.name, rows_read, rows_rejected)
    outcome.rejections = breakdown
    return outcome, writes
