"""Publish the warehouse to PostgreSQL, with row-level security per reader role.

`publish_postgres` copies every table of the published DuckDB files into PostgreSQL:
district.duckdb into schema `district`, public.duckdb into schema `aggregates`. Readers
never see a partial publication: the tables are loaded into fresh schemas inside one
transaction, which ends by renaming the fresh schemas into place; the replaced schemas
are dropped afterwards, once no reader still uses them.

Who reads what is declared in config/access.csv (user_name, role, scope), for
intervention staff config/caseloads.csv (user_name, local_student_id), and which school
years teachers and intervention staff read in district.yml (`access:`). Each role is a
NOLOGIN group role; each user a LOGIN role (no password is set here) that is a member of
its group. Rows are limited by row-level security policies that look users up in the ACL
tables of schema `acl`, filled at every publication from the published data:

- district_admin: every table of `district`, `aggregates` and `acl`.
- school_leader (scope: a school_id, one line per school): rows of `district` tables
  whose school_id is theirs, dim_students rows of students enrolled at their schools,
  dimension tables without a scope column, and `aggregates`.
- teacher (scope: their roster username, blank for their user_name): a student's rows of
  the school years in which the teacher taught that student (fct_class_enrollments joined
  to dim_class_teachers) and of the school of that class, for school years from the
  current one back `access.teacher_look_back_years`; dim_students rows of those students;
  the reference dimensions; `aggregates`.
- intervention_staff: their caseload students' rows of the school years from the current
  one back `access.caseload_look_back_years` (any school), dim_students rows of the
  caseload, the reference dimensions, and `aggregates`.
- policymaker, public: `aggregates` only; `district` is refused.

The current school year is the latest school year with classes in dim_class_teachers of the
publication being loaded. A student-level table without a school_year column other than
dim_students is not readable by teachers or intervention staff. Any other table of
`district` without a usable scope column (audit_excluded_results, agg_funding_lines,
data_quality_runs) is readable by district administrators only.

access.csv is the whole truth about readers: a user removed from it loses its group at the
next publication, and its login role is dropped when this module created it (such roles
carry MANAGED_ROLE_COMMENT); a role a database administrator created is never dropped.
"""

from .access import AccessConfig, load_access_config, readable_years
from .names import AccessConfigError, PostgresPublicationError, PostgresUnavailable
from .publish import publish_postgres

__all__ = [
    "AccessConfig",
    "AccessConfigError",
    "PostgresPublicationError",
    "PostgresUnavailable",
    "load_access_config",
    "publish_postgres",
    "readable_years",
]
