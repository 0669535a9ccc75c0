{{ cohort_retention('month') }}
