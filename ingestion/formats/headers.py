"""Column headers of the vendor files, exactly as the vendors write them, in file order.

The synthetic district generator writes these headers and the format readers check
incoming files against them (drift: new or missing columns).
Sources: NWEA MAP Growth and mCLASS DIBELS 8 sample exports published in the
edanalytics/earthmover_edfi_bundles repository (assessments/*/data/sample_anonymized_file.csv);
the 2013 MAP layout from almartin82/mapvizieR (data/CombinedAssessmentResults.csv); the mCLASS
progress-monitoring fields from TEAMSchools/teamster (libraries/amplify/mclass/sftp/schema.py);
Acadience Reading and aimswebPlus from the vendor signature files of
PowerSchool-ETL-Assistant-Tool/ETL-Assistant-Tool (ACADIENCE2223.sig, Aims_93.sig);
OneRoster 1.1 tables as the 1EdTech v1.1 final CSV specification lists them.
"""

# NWEA MAP Growth AssessmentResults.csv, current layout (143 columns).
MAP_ASSESSMENT_RESULTS_HEADER: tuple[str, ...] = (
    "TermName",
    "DistrictName",
    "District_StateID",
    "SchoolName",
    "School_StateID",
    "StudentID",
    "Student_StateID",
    "Subject",
    "Course",
    "GrowthMeasureYN",
    "NormsReferenceData",
    "WISelectedAYFall",
    "WISelectedAYWinter",
    "WISelectedAYSpring",
    "WIPreviousAYFall",
    "WIPreviousAYWinter",
    "WIPreviousAYSpring",
    "TestType",
    "TestName",
    "TestID",
    "TestStartDate",
    "TestStartTime",
    "TestDurationMinutes",
    "TestRITScore",
    "TestStandardError",
    "TestPercentile",
    "AchievementQuintile",
    "PercentCorrect",
    "RapidGuessingPercentage",
    "FallToFallProjectedGrowth",
    "FallToFallObservedGrowth",
    "FallToFallObservedGrowthSE",
    "FallToFallMetProjectedGrowth",
    "FallToFallConditionalGrowthIndex",
    "FallToFallConditionalGrowthPercentile",
    "FallToFallGrowthQuintile",
    "FallToWinterProjectedGrowth",
    "FallToWinterObservedGrowth",
    "FallToWinterObservedGrowthSE",
    "FallToWinterMetProjectedGrowth",
    "FallToWinterConditionalGrowthIndex",
    "FallToWinterConditionalGrowthPercentile",
    "FallToWinterGrowthQuintile",
    "FallToSpringProjectedGrowth",
    "FallToSpringObservedGrowth",
    "FallToSpringObservedGrowthSE",
    "FallToSpringMetProjectedGrowth",
    "FallToSpringConditionalGrowthIndex",
    "FallToSpringConditionalGrowthPercentile",
    "FallToSpringGrowthQuintile",
    "WinterToWinterProjectedGrowth",
    "WinterToWinterObservedGrowth",
    "WinterToWinterObservedGrowthSE",
    "WinterToWinterMetProjectedGrowth",
    "WinterToWinterConditionalGrowthIndex",
    "WinterToWinterConditionalGrowthPercentile",
    "WinterToWinterGrowthQuintile",
    "WinterToSpringProjectedGrowth",
    "WinterToSpringObservedGrowth",
    "WinterToSpringObservedGrowthSE",
    "WinterToSpringMetProjectedGrowth",
    "WinterToSpringConditionalGrowthIndex",
    "WinterToSpringConditionalGrowthPercentile",
    "WinterToSpringGrowthQuintile",
    "SpringToSpringProjectedGrowth",
    "SpringToSpringObservedGrowth",
    "SpringToSpringObservedGrowthSE",
    "SpringToSpringMetProjectedGrowth",
    "SpringToSpringConditionalGrowthIndex",
    "SpringToSpringConditionalGrowthPercentile",
    "SpringToSpringGrowthQuintile",
    "LexileScore",
    "LexileMin",
    "LexileMax",
    "QuantileScore",
    "QuantileMin",
    "QuantileMax",
    "Goal1Name",
    "Goal1RitScore",
    "Goal1StdErr",
    "Goal1Range",
    "Goal1Adjective",
    "Goal2Name",
    "Goal2RitScore",
    "Goal2StdErr",
    "Goal2Range",
    "Goal2Adjective",
    "Goal3Name",
    "Goal3RitScore",
    "Goal3StdErr",
    "Goal3Range",
    "Goal3Adjective",
    "Goal4Name",
    "Goal4RitScore",
    "Goal4StdErr",
    "Goal4Range",
    "Goal4Adjective",
    "Goal5Name",
    "Goal5RitScore",
    "Goal5StdErr",
    "Goal5Range",
    "Goal5Adjective",
    "Goal6Name",
    "Goal6RitScore",
    "Goal6StdErr",
    "Goal6Range",
    "Goal6Adjective",
    "Goal7Name",
    "Goal7RitScore",
    "Goal7StdErr",
    "Goal7Range",
    "Goal7Adjective",
    "Goal8Name",
    "Goal8RitScore",
    "Goal8StdErr",
    "Goal8Range",
    "Goal8Adjective",
    "TypicalFallToFallGrowth",
    "TypicalFallToWinterGrowth",
    "TypicalFallToSpringGrowth",
    "TypicalWinterToWinterGrowth",
    "TypicalWinterToSpringGrowth",
    "TypicalSpringToSpringGrowth",
    "ProjectedProficiencyStudy1",
    "ProjectedProficiencyLevel1",
    "ProjectedProficiencyStudy2",
    "ProjectedProficiencyLevel2",
    "ProjectedProficiencyStudy3",
    "ProjectedProficiencyLevel3",
    "ProjectedProficiencyStudy4",
    "ProjectedProficiencyLevel4",
    "ProjectedProficiencyStudy5",
    "ProjectedProficiencyLevel5",
    "ProjectedProficiencyStudy6",
    "ProjectedProficiencyLevel6",
    "ProjectedProficiencyStudy7",
    "ProjectedProficiencyLevel7",
    "ProjectedProficiencyStudy8",
    "ProjectedProficiencyLevel8",
    "ProjectedProficiencyStudy9",
    "ProjectedProficiencyLevel9",
    "ProjectedProficiencyStudy10",
    "ProjectedProficiencyLevel10",
)

# The roster columns the combined export (ComboStudentAssessment.csv) adds after Student_StateID.
MAP_COMBO_ROSTER_COLUMNS: tuple[str, ...] = (
    "StudentLastName",
    "StudentFirstName",
    "StudentMI",
    "StudentDateOfBirth",
    "StudentEthnicGroup",
    "StudentGender",
    "Grade",
)


def _combo_header() -> tuple[str, ...]:
    columns = [c for c in MAP_ASSESSMENT_RESULTS_HEADER if c != "TestID"]
    at = columns.index("Student_StateID") + 1
    return tuple(columns[:at]) + MAP_COMBO_ROSTER_COLUMNS + tuple(columns[at:])


# NWEA MAP Growth ComboStudentAssessment.csv: AssessmentResults without TestID, plus the roster
# columns (149 columns).
MAP_COMBO_HEADER: tuple[str, ...] = _combo_header()

# NWEA MAP AssessmentResults.csv / CombinedAssessmentResults.csv as written until about 2015
# (64 columns): the subject in MeasurementScale and Discipline, the reading level in RITtoReading*
# (before NWEA moved to Lexile*), Typical*Growth but no Projected* columns, no School_StateID and
# no AchievementQuintile. Dates "9/16/2013", times "9:00:00 AM".
MAP_2013_ASSESSMENT_RESULTS_HEADER: tuple[str, ...] = (
    "TermName",
    "StudentID",
    "SchoolName",
    "MeasurementScale",
    "Discipline",
    "GrowthMeasureYN",
    "TestType",
    "TestName",
    "TestID",
    "TestStartDate",
    "TestDurationMinutes",
    "TestRITScore",
    "TestStandardError",
    "TestPercentile",
    "TypicalFallToFallGrowth",
    "TypicalSpringToSpringGrowth",
    "TypicalFallToSpringGrowth",
    "TypicalFallToWinterGrowth",
    "RITtoReadingScore",
    "RITtoReadingMin",
    "RITtoReadingMax",
) + tuple(
    f"Goal{n}{part}" for n in range(1, 9) for part in ("Name", "RitScore", "StdErr", "Range", "Adjective")
) + (
    "TestStartTime",
    "PercentCorrect",
    "ProjectedProficiency",
)

# Amplify mCLASS DIBELS 8th Edition benchmark export (105 columns).
DIBELS8_BENCHMARK_HEADER: tuple[str, ...] = (
    "School Year",
    "State",
    "Account Name",
    "Municipality Name",
    "Municipality Primary ID",
    "District Name",
    "District Primary ID",
    "Internal Program",
    "External Program",
    "School Name",
    "Primary School ID",
    "Secondary School ID",
    "Student Last Name",
    "Student First Name",
    "Student Middle Name",
    "Enrollment Date",
    "Enrollment Grade",
    "Date of Birth",
    "Gender",
    "Race",
    "Special Education",
    "Disability",
    "Specific Disability",
    "Section 504",
    "Economically Disadvantaged",
    "Meal Status",
    "Title 1",
    "Migrant",
    "English Proficiency",
    "ELL Status",
    "Home Language",
    "Alternate Assessment",
    "Approved Accommodations",
    "Classed",
    "Reporting Class Name",
    "Reporting Class ID",
    "Official Teacher Name",
    "Official Teacher Staff ID",
    "Assessing Teacher Name",
    "Assessing Teacher Staff ID",
    "Assessment",
    "Assessment Edition",
    "Assessment Grade",
    "Benchmark Period",
    "Composite Level",
    "Composite Score",
    "Composite - National Norm Percentile",
    "Composite - Semester Growth",
    "Composite - Year Growth",
    "Letter Names (LNF) - Level",
    "Letter Names (LNF) - Score",
    "Letter Names (LNF) - National Norm Percentile",
    "Letter Names (LNF) - Semester Growth",
    "Letter Names (LNF) - Year Growth",
    "Phonemic Awareness (PSF) - Level",
    "Phonemic Awareness (PSF) - Score",
    "Phonemic Awareness (PSF) - National Norm Percentile",
    "Phonemic Awareness (PSF) - Semester Growth",
    "Phonemic Awareness (PSF) - Year Growth",
    "Letter Sounds (NWF-CLS) - Level",
    "Letter Sounds (NWF-CLS) - Score",
    "Letter Sounds (NWF-CLS) - National Norm Percentile",
    "Letter Sounds (NWF-CLS) - Semester Growth",
    "Letter Sounds (NWF-CLS) - Year Growth",
    "Decoding (NWF-WRC) - Level",
    "Decoding (NWF-WRC) - Score",
    "Decoding (NWF-WRC) - National Norm Percentile",
    "Decoding (NWF-WRC) - Semester Growth",
    "Decoding (NWF-WRC) - Year Growth",
    "Word Reading (WRF) - Level",
    "Word Reading (WRF) - Score",
    "Word Reading (WRF) - National Norm Percentile",
    "Word Reading (WRF) - Semester Growth",
    "Word Reading (WRF) - Year Growth",
    "Reading Accuracy (ORF-Accu) - Level",
    "Reading Accuracy (ORF-Accu) - Score",
    "Reading Accuracy (ORF-Accu) - National Norm Percentile",
    "Reading Accuracy (ORF-Accu) - Semester Growth",
    "Reading Accuracy (ORF-Accu) - Year Growth",
    "Reading Fluency (ORF) - Level",
    "Reading Fluency (ORF) - Score",
    "Reading Fluency (ORF) - National Norm Percentile",
    "Reading Fluency (ORF) - Semester Growth",
    "Reading Fluency (ORF) - Year Growth",
    "Error Rate (ORF) - Score",
    "Reading Comprehension (Maze) - Level",
    "Reading Comprehension (Maze) - Score",
    "Reading Comprehension (Maze) - National Norm Percentile",
    "Reading Comprehension (Maze) - Semester Growth",
    "Reading Comprehension (Maze) - Year Growth",
    "Correct Responses (Maze) - Score",
    "Incorrect Responses (Maze) - Score",
    "Client Date",
    "Sync Date",
    "Student Primary ID",
    "Primary ID - Student ID (State ID)",
    "Administration Type",
    "Vocabulary - Level",
    "Vocabulary - Score",
    "Spelling - Level",
    "Spelling - Score",
    "RAN - Level",
    "RAN - Score",
    "Risk Indicator - Level",
    "DIBELS Composite Score - Lexile",
)

# measure_id (config/measures.csv) -> the name mCLASS writes before " - Level", " - Score",
# " - National Norm Percentile" in the benchmark export. The composite uses "Composite Level",
# "Composite Score" and "Composite - National Norm Percentile".
DIBELS8_MEASURE_LABELS: dict[str, str] = {
    "dibels8_lnf": "Letter Names (LNF)",
    "dibels8_psf": "Phonemic Awareness (PSF)",
    "dibels8_nwf_cls": "Letter Sounds (NWF-CLS)",
    "dibels8_nwf_wrc": "Decoding (NWF-WRC)",
    "dibels8_wrf": "Word Reading (WRF)",
    "dibels8_orf_accuracy": "Reading Accuracy (ORF-Accu)",
    "dibels8_orf": "Reading Fluency (ORF)",
    "dibels8_maze": "Reading Comprehension (Maze)",
}

# Amplify mCLASS DIBELS 8 progress-monitoring export (dibels8_PM_*.csv), one row per probe
# (47 columns). The field list is the one KIPP's SFTP reader declares for these files
# (TEAMSchools/teamster PMStudentSummary), written in mCLASS's title case.
DIBELS8_PM_HEADER: tuple[str, ...] = (
    "School Year",
    "State",
    "Multi-District Organization Name",
    "Reporting Group Name",
    "District Name",
    "District Primary ID",
    "School Name",
    "School Primary ID",
    "Student Last Name",
    "Student First Name",
    "Student Primary ID",
    "Enrollment Teacher Name",
    "Enrollment Teacher Staff ID",
    "Enrollment Class Name",
    "Enrollment Class ID",
    "Enrollment Grade",
    "Assessing Teacher Name",
    "Assessing Teacher Staff ID",
    "Assessment Class Name",
    "Assessment Class ID",
    "Assessment",
    "Assessment Edition",
    "Assessment Grade",
    "PM Period",
    "Device Date",
    "Sync Date",
    "Measure",
    "Probe Number",
    "Total Number of Probes",
    "Score",
    "Date of Birth",
    "Gender",
    "Race",
    "Hispanic or Latino Ethnicity",
    "Special Education",
    "Disability",
    "Specific Disability",
    "Section 504",
    "IEP Status",
    "Economically Disadvantaged",
    "Meal Status",
    "Title I",
    "Migrant",
    "ELL Status",
    "Home Language",
    "Secondary Student ID",
    "Additional Student ID",
)

# The aimline variant of the progress-monitoring export adds the student's goal and where each
# probe stands against the aimline, after Score (50 columns). Aimline Status is "At or Above" or
# "Below".
DIBELS8_PM_AIMLINE_COLUMNS: tuple[str, ...] = ("Aimline Value By Date", "Aimline Status", "Goal")
DIBELS8_PM_AIMLINE_HEADER: tuple[str, ...] = (
    DIBELS8_PM_HEADER[: DIBELS8_PM_HEADER.index("Score") + 1]
    + DIBELS8_PM_AIMLINE_COLUMNS
    + DIBELS8_PM_HEADER[DIBELS8_PM_HEADER.index("Score") + 1 :]
)

# Acadience Reading K-6 benchmark export from Acadience Data Management (141 columns). Each
# measure block has its date, five assessor columns, Remote, then Score, Status, Pathway and
# National Percentile (LNF has no benchmark, so no Status or Pathway).
_ACADIENCE_ASSESSOR = (
    "Assessor Primary ID", "Assessor Secondary ID", "Assessor SIS ID", "Assessor Last Name", "Assessor First Name",
)


def _acadience_block(name: str, scores: tuple[str, ...]) -> tuple[str, ...]:
    return (f"{name} Date",) + tuple(f"{name} {a}" for a in _ACADIENCE_ASSESSOR) + (f"{name} Remote",) + scores


def _rated(score: str) -> tuple[str, ...]:
    prefix = score.removesuffix(" Score")
    return (score, f"{prefix} Status", f"{prefix} Pathway", f"{prefix} National Percentile")


ACADIENCE_READING_HEADER: tuple[str, ...] = (
    (
        "School Year", "District Name", "District NCES ID", "School Name", "School NCES ID", "School SIS ID",
        "Class Name", "Class SIS ID", "Teacher Primary ID", "Teacher Secondary ID", "Teacher SIS ID",
        "Teacher Last Name", "Teacher First Name", "Student Number", "Student State ID", "Student SIS ID",
        "Student Last Name", "Student First Name", "Student DOB", "Student Grade Level", "Benchmark Period",
    )
    + _acadience_block("FSF", _rated("FSF Score"))
    + _acadience_block("LNF", ("LNF Score", "LNF National Percentile"))
    + _acadience_block("PSF", _rated("PSF Score"))
    + _acadience_block("NWF", _rated("NWF CLS Score") + _rated("NWF WWR Score"))
    + _acadience_block(
        "ORF",
        _rated("ORF WC Score") + ("ORF Errors",) + _rated("ORF Accuracy Score") + _rated("Retell Score")
        + ("Retell Quality Score", "Retell Quality Status"),
    )
    + _acadience_block("Maze", ("Maze Adjusted Score", "Maze Status", "Maze Pathway", "Maze National Percentile"))
    + _acadience_block(
        "RAN",
        tuple(
            f"RAN {kind} {part}" for kind in ("Objects", "Letters", "Numbers") for part in ("Errors", "Seconds", "Status")
        )
        + ("Total RAN Errors", "Total RAN Seconds", "Total RAN Status"),
    )
    + (
        "Reading Composite Date", "Reading Composite Score", "Reading Composite Status", "Reading Composite Pathway",
        "Reading Composite National Percentile", "Lexile Reading", "Reading Composite Goal",
        "Reading Composite Goal Status", "Reading Composite Goal Pathway",
        "Gender", "Race/Ethnicity", "ELL Status", "Section 504", "Special Education", "Special Education Category",
        "Title 1 Reading", "Title 1 Math", "Free/Reduced Lunch", "Homeless", "Migrant", "Foster Care",
        "Military Connected Active Duty",
    )
)

# aimswebPlus score export, long format: one row per student, measure and benchmark period
# (93 columns). Battery (composite) rows have IsBatteryScore 1; Natl is the national percentile.
AIMSWEB_PLUS_HEADER: tuple[str, ...] = (
    "DistrictUID", "DistrictName", "DistrictAbbreviation", "DistrictNCESID", "SchoolUID", "SchoolName",
    "SchoolLevel", "SchoolAbbreviation", "SchoolNCESID", "ClassUID", "ClassName", "TeacherUsername",
    "TeacherUID", "TeacherFirstName", "TeacherMiddleName", "TeacherLastName", "TeacherEmail", "TeacherPhone",
    "Studentuid", "SSID", "SourceID", "StudentFirstName", "StudentMiddleName", "StudentLastName",
    "StudentGrade", "Active", "EntryDate", "ExitDate", "StudentEmail", "EntryGrade", "DOB",
    "IEP_Reading", "IEP_LangArts", "IEP_Writing", "IEP_Math", "IEP_Behavior", "Gender", "ServiceCode", "ESL",
    "MealStatus", "Ethnicity", "Section504", "After_School", "Correctional", "Summer_School", "IDEA",
    "Gifted_Talented", "Autism", "Deaf_Blindness", "Emotional_Disturbance", "Hearing_Impairment_Deafness",
    "Intellectual_Disability", "Multiple_Disabilities", "Orthopedic_Impairment", "Other_Health_Impairment",
    "Specific_Learning_Disability", "Speech_Language_Impairment", "Traumatic_Brain_Injury",
    "Visual_Impairment_Blindness", "Developmental_Delay", "Intervention_Level", "Mobility",
    "Behavioral_Disorder", "Period", "Type", "IsBatteryScore", "RelatedForm", "MeasureName", "MeasureGrade",
    "FormCode", "Score", "VerticalScore", "Errors", "Accuracy", "ScaledScore", "CSEM", "AdministrationDate",
    "SchoolYear", "OffGrade", "NormGroup", "Lexile", "Quantile", "FallWinRoi", "WinSprRoi", "FallSprRoi",
    "FallWinSgp", "WinSprSgp", "FallSprSgp", "Natl", "Dist", "Sch", "RiskStatus", "Probability",
)

# OneRoster 1.1 bulk CSV tables. status and dateLastModified are blank in bulk mode.
_ONEROSTER_BASE = ("sourcedId", "status", "dateLastModified")

ONEROSTER_MANIFEST_HEADER: tuple[str, ...] = ("propertyName", "value")
ONEROSTER_ORGS_HEADER: tuple[str, ...] = _ONEROSTER_BASE + (
    "name", "type", "identifier", "parentSourcedId",
)
ONEROSTER_ACADEMIC_SESSIONS_HEADER: tuple[str, ...] = _ONEROSTER_BASE + (
    "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear",
)
ONEROSTER_COURSES_HEADER: tuple[str, ...] = _ONEROSTER_BASE + (
    "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes",
)
ONEROSTER_CLASSES_HEADER: tuple[str, ...] = _ONEROSTER_BASE + (
    "title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId",
    "termSourcedIds", "subjects", "subjectCodes", "periods",
)
ONEROSTER_USERS_HEADER: tuple[str, ...] = _ONEROSTER_BASE + (
    "enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName", "familyName",
    "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password",
)
ONEROSTER_ENROLLMENTS_HEADER: tuple[str, ...] = _ONEROSTER_BASE + (
    "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate",
)
# The last four columns are the district's extension columns (metadata.*), "true"/"false"
# except metadata.homeLanguage.
ONEROSTER_DEMOGRAPHICS_HEADER: tuple[str, ...] = _ONEROSTER_BASE + (
    "birthDate", "sex", "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
    "publicSchoolResidenceStatus",
    "metadata.economicallyDisadvantaged", "metadata.englishLearner", "metadata.disability",
    "metadata.homeLanguage",
)

# file name in landing/oneroster/ -> header
ONEROSTER_HEADERS: dict[str, tuple[str, ...]] = {
    "manifest.csv": ONEROSTER_MANIFEST_HEADER,
    "orgs.csv": ONEROSTER_ORGS_HEADER,
    "academicSessions.csv": ONEROSTER_ACADEMIC_SESSIONS_HEADER,
    "courses.csv": ONEROSTER_COURSES_HEADER,
    "classes.csv": ONEROSTER_CLASSES_HEADER,
    "users.csv": ONEROSTER_USERS_HEADER,
    "enrollments.csv": ONEROSTER_ENROLLMENTS_HEADER,
    "demographics.csv": ONEROSTER_DEMOGRAPHICS_HEADER,
}
