/* config_view.c: XML configurations rendered for a line diff. A device's
 * reply and an operator's file differ in indentation, namespace
 * declarations and the device's commit stamp on the root; a line diff of
 * them as stored would mark every line. Parsed by netconf_parse (the same
 * limits as replies: no DTD, depth at most 256, so the recursion below is
 * bounded). */
#include "config_view.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "netconf.h"

#define JUNOS_NS_PREFIX "http://xml.juniper.net/junos/"

/* The device's commit stamp: metadata about the configuration, not part of it. */
static int is_commit_stamp(const xmlAttr *a)
{
	return a->ns && a->ns->href && strncmp((const char *)a->ns->href, JUNOS_NS_PREFIX, strlen(JUNOS_NS_PREFIX)) == 0 &&
	       strncmp((const char *)a->name, "commit-", 7) == 0;
}

static void put_escaped(FILE *f, const xmlChar *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

static void put_open(FILE *f, const xmlNode *n)
{
	fprintf(f, "<%s", (const char *)n->name);
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (is_commit_stamp(a))
			continue;
		xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
		fprintf(f, " %s%s%s=\"", a->ns && a->ns->prefix ? (const char *)a->ns->prefix : "",
			a->ns && a->ns->prefix ? ":" : "", (const char *)a->name);
		if (v)
			put_escaped(f, v, strlen((const char *)v));
		fputc('"', f);
		xmlFree(v);
	}
}

static void put_element(FILE *f, const xmlNode *n, int depth)
{
	const xmlNode *c = n->children;
	while (c && c->type != XML_ELEMENT_NODE)
		c = c->next;
	fprintf(f, "%*s", depth * 2, "");
	put_open(f, n);
	if (c) {
		fputs(">\n", f);
		for (; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				put_element(f, c, depth + 1);
		fprintf(f, "%*s</%s>\n", depth * 2, "", (const char *)n->name);
		return;
	}
	xmlChar *t = xmlNodeGetContent(n);
	const xmlChar *p = t ? t : (const xmlChar *)"";
	size_t len = strlen((const char *)p);
	while (len && isspace(*p))
		p++, len--;
	while (len && isspace(p[len - 1]))
		len--;
	if (len) {
		fputc('>', f);
		put_escaped(f, p, len);
		fprintf(f, "</%s>\n", (const char *)n->name);
	} else {
		fputs("/>\n", f);
	}
	xmlFree(t);
}

int config_view_xml(const char *xml, size_t len, char **out, size_t *outlen)
{
	char err[160];
	xmlDoc *doc = netconf_parse(xml, len, err, sizeof(err));
	if (!doc)
		return -1;
	FILE *f = open_memstream(out, outlen);
	if (!f) {
		xmlFreeDoc(doc);
		return -1;
	}
	put_element(f, xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);
	return fclose(f) == 0 ? 0 : -1;
}
