"""What leaves the warehouse: the published contract read from dbt's manifest, write-audit-publish
of the restricted and public files, the public file's disclosure rules, the PostgreSQL
publication with its access rules, spreadsheet-safe exports and the dashboard query checker."""
