// SPDX-License-Identifier: GPL-2.0
/* Unit tests of include/ip_vs_persist_calc.h (the module's own copy). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "kcompat.h"
#include "ip_vs_persist_calc.h"

#define T 10000ULL	/* service timeout: 10 s */
#define C 1		/* the template still controls connections */

static void renew_always_full_timeout(void **state)
{
	u64 remain = 0;

	/* However old the template, renew re-arms to the full timeout. */
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_RENEW, T, 0,
					     1000, 1000, 1000 + 500000, C, &remain),
			 IP_VS_PERSIST_KEEP);
	assert_int_equal(remain, T);
}

static void renew_ends_without_connections(void **state)
{
	u64 remain = 0;

	/* the 60 s linger of stock IPVS does not keep the affinity */
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_RENEW, T, 0,
					     0, 1000, 1000 + T, 0, &remain),
			 IP_VS_PERSIST_EXPIRED);
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_RENEW, T, 0,
					     0, 1000, 1000 + T - 1, 0, &remain),
			 IP_VS_PERSIST_KEEP);
}

static void renew_capped(void **state)
{
	u64 remain = 0;

	/* cap 25 s: at 20 s only 5 s remain, at 25 s it is over */
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_RENEW, T, 25000,
					     0, 0, 20000, C, &remain),
			 IP_VS_PERSIST_KEEP);
	assert_int_equal(remain, 5000);
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_RENEW, T, 25000,
					     0, 0, 25000, C, &remain),
			 IP_VS_PERSIST_CAPPED);
}

static void absolute_ends_at_creation_plus_timeout(void **state)
{
	u64 remain = 0;

	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_ABSOLUTE, T, 0,
					     5000, 14000, 14000, C, &remain),
			 IP_VS_PERSIST_KEEP);
	assert_int_equal(remain, 1000);
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_ABSOLUTE, T, 0,
					     5000, 14999, 15000, C, &remain),
			 IP_VS_PERSIST_EXPIRED);
}

static void idle_measured_from_last_packet(void **state)
{
	u64 remain = 0;

	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_IDLE, T, 0,
					     0, 50000, 59999, C, &remain),
			 IP_VS_PERSIST_KEEP);
	assert_int_equal(remain, T);
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_IDLE, T, 0,
					     0, 50000, 60000, C, &remain),
			 IP_VS_PERSIST_EXPIRED);
	/* a cap ends an active client's affinity too */
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_IDLE, T, 30000,
					     0, 29000, 30000, C, &remain),
			 IP_VS_PERSIST_CAPPED);
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_IDLE, T, 30000,
					     0, 27000, 27000, C, &remain),
			 IP_VS_PERSIST_KEEP);
	assert_int_equal(remain, 3000);
}

static void clock_stepped_backwards(void **state)
{
	u64 remain = 0;

	/* now before created: treated as created, never immortal */
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_ABSOLUTE, T, 0,
					     100000, 100000, 50000, C, &remain),
			 IP_VS_PERSIST_KEEP);
	assert_int_equal(remain, T);
	assert_int_equal(ip_vs_persist_check(IPVS_PERSIST_MODE_IDLE, T, 0,
					     0, 100000, 50000, C, &remain),
			 IP_VS_PERSIST_KEEP);
}

static void rearm_once_per_second(void **state)
{
	assert_false(ip_vs_persist_should_rearm(1000, 1999, T));
	assert_true(ip_vs_persist_should_rearm(1000, 2000, T));
	assert_true(ip_vs_persist_should_rearm(5000, 1000, T));
	/* a 1 s timeout is re-armed every 250 ms */
	assert_false(ip_vs_persist_should_rearm(1000, 1249, 1000));
	assert_true(ip_vs_persist_should_rearm(1000, 1250, 1000));
}

static void cap_validity(void **state)
{
	assert_true(ip_vs_persist_max_valid(IPVS_PERSIST_MODE_IDLE, 600));
	assert_true(ip_vs_persist_max_valid(IPVS_PERSIST_MODE_ABSOLUTE, 0));
	assert_false(ip_vs_persist_max_valid(IPVS_PERSIST_MODE_ABSOLUTE, 60));
	assert_false(ip_vs_persist_max_valid(IPVS_PERSIST_MODE_RENEW,
					     IPVS_PERSIST_MAX_LIMIT + 1ULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renew_always_full_timeout),
		cmocka_unit_test(renew_ends_without_connections),
		cmocka_unit_test(renew_capped),
		cmocka_unit_test(absolute_ends_at_creation_plus_timeout),
		cmocka_unit_test(idle_measured_from_last_packet),
		cmocka_unit_test(clock_stepped_backwards),
		cmocka_unit_test(rearm_once_per_second),
		cmocka_unit_test(cap_validity),
	};

	return cmocka_run_group_tests_name("persist_calc", tests, NULL, NULL);
}
