{{ cohort_retention('week') }}
