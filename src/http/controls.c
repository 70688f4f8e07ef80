/* controls.c - data/controls.json compiled into the daemon: the one
 * source of the control mapping (docs/controls.md). The Makefile rebuilds
 * this file when the JSON changes. */
#include "http/handlers.h"

__asm__(".section .rodata\n"
	".global sl_controls_json\n"
	".type sl_controls_json, @object\n"
	"sl_controls_json:\n"
	".incbin \"data/controls.json\"\n"
	".byte 0\n"
	".size sl_controls_json, . - sl_controls_json\n"
	".previous\n");
