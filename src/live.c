/* live.c: placeholder, being written. */
