/* include/libkrun_display.h: the display-backend interface for krun_set_display_backend (upstream-compatible layout). */
#ifndef _LIBKRUN_DISPLAY_H
#define _LIBKRUN_DISPLAY_H

#include <inttypes.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Results a backend method may return besides 0. */
#define KRUN_DISPLAY_ERR_INTERNAL -1
#define KRUN_DISPLAY_ERR_METHOD_UNSUPPORTED -2
#define KRUN_DISPLAY_ERR_INVALID_SCANOUT_ID -3
#define KRUN_DISPLAY_ERR_INVALID_PARAM -4
#define KRUN_DISPLAY_ERR_OUT_OF_BUFFERS -5

/* Pixel formats: the numeric values of the virtio-gpu formats of the same name. */
#define KRUN_DISPLAY_FORMAT_B8G8R8A8_UNORM 1
#define KRUN_DISPLAY_FORMAT_B8G8R8X8_UNORM 2
#define KRUN_DISPLAY_FORMAT_A8R8G8B8_UNORM 3
#define KRUN_DISPLAY_FORMAT_X8R8G8B8_UNORM 4
#define KRUN_DISPLAY_FORMAT_R8G8B8A8_UNORM 67
#define KRUN_DISPLAY_FORMAT_X8B8G8R8_UNORM 68
#define KRUN_DISPLAY_FORMAT_A8B8G8R8_UNORM 121
#define KRUN_DISPLAY_FORMAT_R8G8B8X8_UNORM 134

/* The backend implements the basic_framebuffer methods (all but destroy required). */
#define KRUN_DISPLAY_FEATURE_BASIC_FRAMEBUFFER 1

/* Make a backend instance; *instance is passed back to every method (may stay NULL). */
typedef int32_t (*krun_display_create_fn)(void **instance, const void *userdata, const void *reserved);

/* Tear the instance down. */
typedef int32_t (*krun_display_destroy_fn)(void *instance);

/* (Re)configure scanout_id: display size, scanout size in pixels, KRUN_DISPLAY_FORMAT_*. */
typedef int32_t (*krun_display_configure_scanout_fn)(void *instance,
						     uint32_t scanout_id,
						     uint32_t display_width,
						     uint32_t display_height,
						     uint32_t width,
						     uint32_t height,
						     uint32_t format);

/* Turn scanout_id off. */
typedef int32_t (*krun_display_disable_scanout_fn)(void *instance, uint32_t scanout_id);

/*
 * Hand out a writable frame buffer for scanout_id (*buffer, *buffer_size);
 * returns a frame id >= 0 or KRUN_DISPLAY_ERR_*.
 */
typedef int32_t (*krun_display_alloc_frame_fn)(void *instance, uint32_t scanout_id,
					       uint8_t **buffer, size_t *buffer_size);

struct krun_rect {
	uint32_t x;
	uint32_t y;
	uint32_t width;
	uint32_t height;
};

/*
 * Show frame_id on scanout_id; the frame is consumed. damage_area (may be
 * NULL = everything) says which part changed.
 */
typedef int32_t (*krun_display_present_frame_fn)(void *instance, uint32_t scanout_id, uint32_t frame_id,
						 const struct krun_rect *damage_area);

struct krun_display_basic_framebuffer_vtable {
	krun_display_destroy_fn destroy;			/* optional */
	krun_display_disable_scanout_fn disable_scanout;
	krun_display_configure_scanout_fn configure_scanout;
	krun_display_alloc_frame_fn alloc_frame;
	krun_display_present_frame_fn present_frame;
};

union krun_display_vtable {
	struct krun_display_basic_framebuffer_vtable basic_framebuffer;
};

/*
 * A display backend: all methods are called from one thread created by the
 * GPU device and should return quickly. Zero-initialize it so fields added in
 * later versions read as NULL.
 */
struct krun_display_backend {
	uint64_t features;		/* KRUN_DISPLAY_FEATURE_* */
	void *create_userdata;		/* optional, passed to create */
	krun_display_create_fn create;	/* optional: NULL => instance NULL */
	union krun_display_vtable vtable;
};

#ifdef __cplusplus
}
#endif

#endif /* _LIBKRUN_DISPLAY_H */
