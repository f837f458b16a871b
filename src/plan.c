/* plan.c: placeholder, being written. */
