/* Task groups: all succeed, first failure cancels the rest, parent cancelled. */
#include <errno.h>

#include "weft.h"
#include "weft_test.h"

struct child_arg {
    uint64_t sleep_ns;
    int result;
    int *finished;
};

static int child(void *arg)
{
    struct child_arg *c = arg;
    int r = weft_sleep(c->sleep_ns);
    if (r < 0)
        return r;
    (*c->finished)++;
    return c->result;
}

static int all_succeed(void *arg)
{
    int finished = 0;
    struct child_arg a[3] = {{WEFT_MSEC(3), 1, &finished}, {WEFT_MSEC(1), 2, &finished},
                             {WEFT_MSEC(2), 3, &finished}};
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(weft_group_spawn(g, child, &a[i]), i);
    assert_int_equal(weft_group_wait(g), 0);
    assert_int_equal(finished, 3);
    assert_int_equal(weft_group_size(g), 3);
    /* gather: results by index, whatever the finishing order. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(weft_group_result(g, i), i + 1);
    weft_group_free(g);
    return 0;
}

static void group_gathers_results(void **state)
{
    assert_int_equal(weft_run(all_succeed, NULL), 0);
}

static int one_fails(void *arg)
{
    int finished = 0;
    struct child_arg a[4] = {{WEFT_SEC(3600), 1, &finished}, {WEFT_MSEC(2), -EIO, &finished},
                             {WEFT_SEC(3600), 3, &finished}, {WEFT_MSEC(1), 4, &finished}};
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(weft_group_spawn(g, child, &a[i]), i);
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_group_wait(g), -EIO);
    assert_true(weft_test_now_ns() - t0 < WEFT_SEC(5)); /* the hour-long ones were cancelled */
    assert_int_equal(weft_group_result(g, 0), -ECANCELED);
    assert_int_equal(weft_group_result(g, 1), -EIO);
    assert_int_equal(weft_group_result(g, 2), -ECANCELED);
    assert_int_equal(weft_group_result(g, 3), 4); /* finished before the failure */
    assert_int_equal(finished, 2);
    weft_group_free(g);
    return 0;
}

static void first_failure_cancels_the_rest(void **state)
{
    assert_int_equal(weft_run(one_fails, NULL), 0);
}

static int parent_body(void *arg)
{
    int *finished = arg;
    static struct child_arg a[2];
    a[0] = (struct child_arg){WEFT_SEC(3600), 1, finished};
    a[1] = (struct child_arg){WEFT_SEC(3600), 2, finished};
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    weft_group_spawn(g, child, &a[0]);
    weft_group_spawn(g, child, &a[1]);
    int r = weft_group_wait(g);
    /* Children are done by now: none outlives the group. */
    assert_int_equal(weft_group_result(g, 0), -ECANCELED);
    assert_int_equal(weft_group_result(g, 1), -ECANCELED);
    weft_group_free(g);
    return r;
}

static int cancel_parent(void *arg)
{
    int finished = 0;
    weft_task *p;
    assert_int_equal(weft_task_spawn(NULL, parent_body, &finished, &p), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(2)), 0);
    weft_task_cancel(p);
    assert_int_equal(weft_task_join(p), -ECANCELED);
    assert_int_equal(finished, 0);
    return 0;
}

static void cancelled_parent_cancels_children(void **state)
{
    assert_int_equal(weft_run(cancel_parent, NULL), 0);
}

static int timeout_parent(void *arg)
{
    int finished = 0;
    int scope = weft_timeout_push(WEFT_MSEC(5));
    int r = parent_body(&finished);
    assert_true(weft_timeout_pop(scope));
    return r;
}

static void group_inside_deadline(void **state)
{
    assert_int_equal(weft_run(timeout_parent, NULL), -ETIMEDOUT);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(group_gathers_results),
    cmocka_unit_test(first_failure_cancels_the_rest),
    cmocka_unit_test(cancelled_parent_cancels_children),
    cmocka_unit_test(group_inside_deadline),
};

WEFT_TEST_MAIN(tests)
