/* test_devhash: the model's open-addressing device hash (src/devhash.c):
 * every key added is found and no other, removal keeps every other key
 * findable (backward shift over wrapped runs), and tagged slots still give
 * the device pointer back unchanged. The table treats a device as opaque and
 * reads its key through the key function, so the items here are small
 * structs of our own. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devhash.h"

struct item {
	char key[32];
};

static void item_key(const struct device *d, const char **key, size_t *len)
{
	const struct item *it = (const struct item *)d;
	*key = it->key;
	*len = strlen(it->key);
}

static struct device *dev(struct item *it)
{
	return (struct device *)it;
}

static struct device *find(struct devhash *h, const char *key)
{
	return devhash_find(h, key, strlen(key));
}

#define N 20000

static struct item *make_items(size_t n)
{
	struct item *v = calloc(n, sizeof(*v));
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		snprintf(v[i].key, sizeof(v[i].key), "r%zu.scale.example.net", i + 1);
	return v;
}

static void test_every_added_key_is_found_and_no_other(void **state)
{
	(void)state;
	struct devhash h;
	struct item *v = make_items(N);
	devhash_init(&h, item_key);
	assert_null(find(&h, "r1.scale.example.net")); /* empty table */
	for (size_t i = 0; i < N; i++) {
		assert_null(find(&h, v[i].key));
		assert_int_equal(devhash_add(&h, dev(&v[i])), 0);
	}
	assert_int_equal(h.n, N);
	/* At most 7/8 full with tagged slots (64-bit), 1/2 without; and grown
	 * only when that would be passed. */
	uint64_t num = UINTPTR_MAX > 0xFFFFFFFFu ? 7 : 1, den = UINTPTR_MAX > 0xFFFFFFFFu ? 8 : 2;
	assert_true((uint64_t)h.n * den <= (uint64_t)h.cap * num);
	assert_true((uint64_t)h.n * den * 2 > (uint64_t)h.cap * num);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(find(&h, v[i].key), dev(&v[i])); /* the pointer itself, untagged */
	assert_null(find(&h, "r0.scale.example.net"));
	assert_null(find(&h, "r20001.scale.example.net"));
	assert_null(find(&h, "r1.scale.example.ne")); /* a prefix of a key */
	/* The length given decides, not a NUL. */
	assert_ptr_equal(devhash_find(&h, "r1.scale.example.netX", 20), dev(&v[0]));
	assert_null(devhash_find(&h, "r1.scale.example.netX", 21));
	devhash_free(&h);
	free(v);
}

static void test_removal_keeps_every_other_key_findable(void **state)
{
	(void)state;
	struct devhash h;
	struct item *v = make_items(N);
	devhash_init(&h, item_key);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(devhash_add(&h, dev(&v[i])), 0);
	/* Every third item out: runs are cut in many places, wrapped ones too. */
	for (size_t i = 0; i < N; i += 3)
		devhash_del(&h, dev(&v[i]));
	for (size_t i = 0; i < N; i++) {
		if (i % 3 == 0)
			assert_null(find(&h, v[i].key));
		else
			assert_ptr_equal(find(&h, v[i].key), dev(&v[i]));
	}
	/* Removing what is not in changes nothing; adding back finds it again. */
	size_t n = h.n;
	devhash_del(&h, dev(&v[0]));
	assert_int_equal(h.n, n);
	for (size_t i = 0; i < N; i += 3)
		assert_int_equal(devhash_add(&h, dev(&v[i])), 0);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(find(&h, v[i].key), dev(&v[i]));
	devhash_free(&h);
	free(v);
}

static void test_two_devices_with_one_key_are_told_apart_by_pointer(void **state)
{
	(void)state;
	/* The model never adds two with one key, but devhash_del removes the
	 * device given, not another with its key (devhash.h). */
	struct devhash h;
	struct item a = { "core1" }, b = { "core1" };
	devhash_init(&h, item_key);
	assert_int_equal(devhash_add(&h, dev(&a)), 0);
	assert_int_equal(devhash_add(&h, dev(&b)), 0);
	devhash_del(&h, dev(&a));
	assert_ptr_equal(find(&h, "core1"), dev(&b));
	devhash_del(&h, dev(&b));
	assert_null(find(&h, "core1"));
	assert_int_equal(h.n, 0);
	devhash_free(&h);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_added_key_is_found_and_no_other),
		cmocka_unit_test(test_removal_keeps_every_other_key_findable),
		cmocka_unit_test(test_two_devices_with_one_key_are_told_apart_by_pointer),
	};
	return testutil_run_tests(argc, argv, tests);
}
