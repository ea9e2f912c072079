/* fuzz_store.c: libFuzzer target over the store's record decoders, the code
 * that reads back what is on disk (a damaged or foreign database can hand
 * them anything): device, job, configuration meta, settings, removed-device
 * and incident records into a model, no crash, no read outside the record.
 * The first byte picks the decoder; the rest is the record. store.c's
 * decoders are static: the file is included here (Berkeley DB is linked but
 * never opened). */
#include "../../src/store.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* A private copy of exactly the record: ASan catches any overread. */
	uint8_t *b = malloc(size - 1 ? size - 1 : 1);
	if (!b)
		return 0;
	memcpy(b, data + 1, size - 1);
	struct rbuf r = { b, b + size - 1, 0 };
	struct model m;
	model_init(&m);
	switch (data[0] % 6) {
	case 0:
		load_device(&r, &m);
		break;
	case 1: { /* a job record (its tasks of the current format live in jobtasks.db) */
		struct job j;
		int format;
		if (decode_job(&r, &j, &format) == 0) {
			model_job_restore(&m, &j);
			free_tasks(&j);
		}
		break;
	}
	case 2: {
		struct config_meta c;
		decode_meta(&r, &c);
		break;
	}
	case 3:
		decode_settings(&r, &m.settings);
		break;
	case 4:
		load_retained(&r, &m);
		break;
	default: {
		struct incidents inc;
		incidents_init(&inc);
		load_incident(&r, &inc);
		incidents_free(&inc);
		break;
	}
	}
	model_free(&m);
	free(b);
	return 0;
}
