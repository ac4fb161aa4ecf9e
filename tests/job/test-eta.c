/* Tests for the seconds left in a stage (nemo/eta.h), on the shapes our
 * stages have: an encode whose first percent is slow (the encoder opens and
 * fills its lookahead) and whose frames vary, and a stage that reports in
 * large steps (prepare, per decoded chunk).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/eta.h>

/* A stage's reports: at report i it is at percent[i], at time_us[i]. */
typedef struct
{
  gint n;
  gdouble percent[200];
  gint64 time_us[200];
} Reports;

/* Reports every @step percent, @warm_up_us for the first percent, then
 * @per_percent_us for each, each step longer or shorter by up to @jitter
 * (a fraction), from a fixed seed. */
static void
make_reports (Reports * r, gdouble step, gint64 warm_up_us,
    gint64 per_percent_us, gdouble jitter)
{
  GRand *rand = g_rand_new_with_seed (7);
  gdouble percent = 0.0;
  gint64 t = 0;

  r->n = 0;
  while (TRUE) {
    r->percent[r->n] = MIN (percent, 100.0);
    r->time_us[r->n] = t;
    r->n++;
    if (percent >= 100.0)
      break;
    t += (percent < 1.0 ? warm_up_us : 0) + step * per_percent_us *
        (1.0 + g_rand_double_range (rand, -jitter, jitter));
    percent += step;
  }
  g_rand_free (rand);
}

/* Once shown, the predicted end never moves by more than 10 % of the
 * stage's length from one report to the next, and stays within 10 % of
 * the real end; it is shown by the time a quarter is done. */
static void
assert_counts_down (const Reports * r)
{
  gint64 length_us = r->time_us[r->n - 1];
  gdouble first_shown = -1.0, last_end_us = -1.0, left;
  NemoEta eta;
  gint i;

  nemo_eta_reset (&eta);
  for (i = 0; i < r->n; i++) {
    gdouble end_us;

    if (!nemo_eta_update (&eta, r->time_us[i], r->percent[i], &left))
      continue;
    end_us = r->time_us[i] + left * G_USEC_PER_SEC;
    if (first_shown < 0.0)
      first_shown = r->percent[i];
    g_assert_cmpfloat (ABS (end_us - length_us), <=, 0.10 * length_us);
    if (last_end_us >= 0.0)
      g_assert_cmpfloat (ABS (end_us - last_end_us), <=, 0.10 * length_us);
    last_end_us = end_us;
  }
  g_assert_cmpfloat (first_shown, >=, 0.0);
  g_assert_cmpfloat (first_shown, <=, 25.0);
  g_assert_cmpfloat (left, ==, 0.0);
}

/* Measured on a 40 s 720p spectrum job: the first 2 % took 0.59 s, the
 * rest 0.107 s per percent. */
static void
test_encode_with_slow_start (void)
{
  Reports r;

  make_reports (&r, 1.0, 370000, 107000, 0.3);
  assert_counts_down (&r);
}

static void
test_large_steps (void)
{
  Reports r;

  make_reports (&r, 100.0 / 12, 200000, 40000, 0.2);
  assert_counts_down (&r);
}

/* Nothing is said before the pace is known: not from the first report,
 * nor from one percent in a few milliseconds. */
static void
test_no_guess_at_the_start (void)
{
  NemoEta eta;
  gdouble left = -1.0;

  nemo_eta_reset (&eta);
  g_assert_false (nemo_eta_update (&eta, 0, 0.0, &left));
  g_assert_false (nemo_eta_update (&eta, 1000, 1.0, &left));
  g_assert_false (nemo_eta_update (&eta, 5000, 2.0, &left));
  g_assert_false (nemo_eta_update (&eta, 9000, 4.0, &left));
  g_assert_cmpfloat (left, ==, -1.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/eta/encode-with-slow-start",
      test_encode_with_slow_start);
  g_test_add_func ("/eta/large-steps", test_large_steps);
  g_test_add_func ("/eta/no-guess-at-the-start", test_no_guess_at_the_start);
  return g_test_run ();
}
