"""The student ID crosswalk: vendor student IDs the roster does not know, mapped to the district's
local student ID. A district drops it in the landing folder like any export (CSV or XLSX):

    id_system,vendor_student_id,local_student_id
    renaissance,RL-20931,1004512

`id_system` names where the vendor ID comes from (free text, for the reader). A vendor ID listed
for two different students resolves to neither: results are never matched by a guess.
"""

from .base import Field, RecordFormat

STUDENT_ID_CROSSWALK = RecordFormat(
    name="student_id_crosswalk",
    raw_table="student_id_crosswalk",
    signature=("vendor_student_id", "local_student_id"),
    fields={
        "id_system": Field("id_system"),
        "vendor_student_id": Field("vendor_student_id", required=True),
        "local_student_id": Field("local_student_id", required=True),
    },
    key=("id_system", "vendor_student_id"),
    declared_columns=("id_system", "vendor_student_id", "local_student_id"),
    description="Student ID crosswalk (vendor ID -> local student ID)",
)

FORMATS = (STUDENT_ID_CROSSWALK,)
