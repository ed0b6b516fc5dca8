/*
 * Helpers shared by the benchmarks: a monotonic clock in seconds and the
 * median of a few timed rounds. Each benchmark times the product and its
 * reference alternately in the same process and compares medians,
 * because drift between runs on a shared virtual machine is larger than
 * the differences being measured.
 */
#ifndef VR_BENCH_BENCH_H
#define VR_BENCH_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double
bench_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts V[0..N) and returns its median. */
static inline double
bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), bench_cmp_double);
	return v[n / 2];
}

#endif
