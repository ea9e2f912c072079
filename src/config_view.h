/* config_view.h: an XML configuration as --diff shows it. */
#ifndef RESYNCD_CONFIG_VIEW_H
#define RESYNCD_CONFIG_VIEW_H

#include <stddef.h>

/* Renders xml one element per line, two blanks of indent per level, by
 * local name (no namespace declarations or prefixes), leaf text trimmed,
 * attributes kept except Junos's commit metadata on any element
 * (junos:commit-seconds/-localtime/-user). Two forms of one configuration
 * (an operator's file, a device's reply) then render alike. 0 and *out
 * malloc'd (NUL-terminated, *outlen bytes); -1 if xml is not well-formed. */
int config_view_xml(const char *xml, size_t len, char **out, size_t *outlen);

#endif
