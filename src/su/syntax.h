/* syntax.h — the SDF syntax table of the VM2000 commands (vm2000.md §4; operands, ranges and
 * defaults from vm2000-facts.md §1; our decisions in docs/decisions.md "SDF syntax of the
 * VM2000 commands").
 *
 * Usage: sdf_parse(su_syntax, su_syntax_n, line, &cmd, &err); then switch on
 * (enum su_cmd_id)cmd->def->id and read the operands by their full names with
 * sdf_cmd_operand(cmd, "VM-NAME"). Operand names used by the command processor are listed
 * per command in src/su/syntax.c and docs/sdf.md.
 */
#ifndef SEC_SU_SYNTAX_H
#define SEC_SU_SYNTAX_H

#include <stddef.h>

#include "sdf/sdf.h"

enum su_cmd_id {
	SU_CMD_CREATE_VM = 1,
	SU_CMD_CREATE_VM_DEFINITION,
	SU_CMD_MODIFY_VM_DEFINITION,
	SU_CMD_ACTIVATE_VM_DEFINITION,
	SU_CMD_DELETE_VM_DEFINITION,
	SU_CMD_SHOW_VM_DEFINITION,
	SU_CMD_START_VM,
	SU_CMD_SHUTDOWN_VM,
	SU_CMD_DELETE_VM,
	SU_CMD_HOLD_VM,
	SU_CMD_RESUME_VM,
	SU_CMD_ADD_VM_DEVICES,
	SU_CMD_REMOVE_VM_DEVICES,
	SU_CMD_MODIFY_VM_ATTRIBUTES,
	SU_CMD_SHOW_VM_RESOURCES,
	SU_CMD_SHOW_VM_ATTRIBUTES,
	SU_CMD_CHECK_VM_MIGRATION,
	SU_CMD_MIGRATE_VM,
	SU_CMD_MIGRATE_VM_DEFINITION,
	SU_CMD_RECOVER_VM_DEFINITION,
	SU_CMD_SHOW_JV,
	SU_CMD_SHOW_SYSTEM_INFORMATION,
	SU_CMD_SHOW_LIVE_MIGRATION_HISTORY,
	SU_CMD_HELP_MSG_INFORMATION,
	SU_CMD_MAX,
};

/* The commands, one entry per enum value (su_syntax[id - 1].id == id). */
extern const struct sdf_command_def su_syntax[];
extern const size_t su_syntax_n;

/* "CREATE-VM" for SU_CMD_CREATE_VM, ...; "?" for an unknown id. */
const char *su_cmd_id_to_string(enum su_cmd_id id);

#endif
