/* scripts.h: the Lua scripts feedbackd runs in Redis (single-slot atomic writes, no domain rules). */
#ifndef FEEDBACKD_SCRIPTS_H
#define FEEDBACKD_SCRIPTS_H

enum script {
	SCRIPT_VIEW_ALERT,  /* append an alert to the stream once per identity (src/io/view.c) */
	SCRIPT_CHECKPOINT,  /* one task's checkpoint commit: fence, sequence, generic writes */
	SCRIPT_COUNT
};

extern const char script_src_view_alert[];
extern const char script_src_checkpoint[];

#endif
