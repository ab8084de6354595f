/* include/libkrun_input.h: the input-backend interface for krun_add_input_device (upstream-compatible layout). */
#ifndef _LIBKRUN_INPUT_H
#define _LIBKRUN_INPUT_H

#include <inttypes.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Results a backend method may return besides success. */
#define KRUN_INPUT_ERR_INTERNAL -1
#define KRUN_INPUT_ERR_EAGAIN -2
#define KRUN_INPUT_ERR_METHOD_UNSUPPORTED -3
#define KRUN_INPUT_ERR_INVALID_PARAM -4

/* The config object implements the query_* methods. */
#define KRUN_INPUT_CONFIG_FEATURE_QUERY 1
/* The event provider implements get_ready_efd and next_event. */
#define KRUN_INPUT_EVENT_PROVIDER_FEATURE_QUEUE 1

/* One event, laid out like a Linux/virtio input event. */
struct krun_input_event {
	uint16_t type;
	uint16_t code;
	uint32_t value;
};

struct krun_input_device_ids {
	uint16_t bustype;
	uint16_t vendor;
	uint16_t product;
	uint16_t version;
};

struct krun_input_absinfo {
	uint32_t min;
	uint32_t max;
	uint32_t fuzz;
	uint32_t flat;
	uint32_t res;
};

/* Make an instance; *instance is passed back to every method (may stay NULL). */
typedef int32_t (*krun_input_create_fn)(void **instance, const void *userdata, const void *reserved);
typedef int32_t (*krun_input_destroy_fn)(void *instance);

/* An fd that is readable while events are pending. */
typedef int32_t (*krun_input_get_ready_efd_fn)(void *instance);
/* Non-blocking: 1 and *out_event filled, 0 when none pending, <0 on error. */
typedef int32_t (*krun_input_next_event_fn)(void *instance, struct krun_input_event *out_event);

struct krun_input_event_provider_vtable {
	krun_input_destroy_fn destroy;
	krun_input_get_ready_efd_fn get_ready_efd;
	krun_input_next_event_fn next_event;
};

/* Queries answered when the guest driver probes the device; return bytes written or <0. */
typedef int32_t (*krun_input_query_device_name_fn)(void *instance, uint8_t *name_buf, size_t name_buf_len);
typedef int32_t (*krun_input_query_serial_name_fn)(void *instance, uint8_t *name_buf, size_t name_buf_len);
typedef int32_t (*krun_input_query_device_ids_fn)(void *instance, struct krun_input_device_ids *ids);
typedef int32_t (*krun_input_query_event_capabilities_fn)(void *instance, uint8_t event_type,
							  uint8_t *bitmap_buf, size_t bitmap_buf_len);
typedef int32_t (*krun_input_query_abs_info_fn)(void *instance, uint8_t abs_axis,
						struct krun_input_absinfo *abs_info);
typedef int32_t (*krun_input_query_properties_fn)(void *instance, uint8_t *bitmap_buf, size_t bitmap_buf_len);

struct krun_input_config_vtable {
	krun_input_destroy_fn destroy;
	krun_input_query_device_name_fn query_device_name;
	krun_input_query_serial_name_fn query_serial_name;
	krun_input_query_device_ids_fn query_device_ids;
	krun_input_query_event_capabilities_fn query_event_capabilities;
	krun_input_query_abs_info_fn query_abs_info;
	krun_input_query_properties_fn query_properties;
};

/* Describes the device (name, ids, capabilities). Zero-initialize before filling. */
struct krun_input_config {
	uint64_t features;		/* KRUN_INPUT_CONFIG_FEATURE_* */
	void *create_userdata;
	krun_input_create_fn create;
	struct krun_input_config_vtable vtable;
};

/* Supplies the events. Zero-initialize before filling. */
struct krun_input_event_provider {
	uint64_t features;		/* KRUN_INPUT_EVENT_PROVIDER_FEATURE_* */
	void *create_userdata;
	krun_input_create_fn create;
	struct krun_input_event_provider_vtable vtable;
};

#ifdef __cplusplus
}
#endif

#endif /* _LIBKRUN_INPUT_H */
