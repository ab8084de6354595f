/* init/init-blob.S: embeds the static guest init binary into libkrun as init_blob..init_blob_end. */
	.section .rodata.krun_init_blob, "a"
	.balign 16
	.globl init_blob
	.hidden init_blob
	.type init_blob, @object
init_blob:
	.incbin INIT_BLOB_PATH
	.globl init_blob_end
	.hidden init_blob_end
init_blob_end:
	.size init_blob, init_blob_end - init_blob

	.section .note.GNU-stack, "", @progbits
