/* SPDX-License-Identifier: Apache-2.0 */
/* yamlcat._cyaml: libyaml's event parser for Python.
 *   version() -> "0.2.5"
 *   events(data: bytes) -> [(kind, value, line, column), ...]
 * kind is "+STR", "+DOC", "+MAP", "+SEQ", "=VAL", "=ALI" or the matching
 * "-..." end (yaml-test-suite's event names); value is the scalar or alias
 * text, else None; line and column count from 1.  A parse error raises
 * ValueError("LINE:COLUMN: problem"). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <yaml.h>

static PyObject *version(PyObject *self, PyObject *args)
{
	(void)self, (void)args;
	return PyUnicode_FromString(yaml_get_version_string());
}

static const char *kind(yaml_event_type_t t)
{
	switch (t) {
	case YAML_STREAM_START_EVENT: return "+STR";
	case YAML_STREAM_END_EVENT: return "-STR";
	case YAML_DOCUMENT_START_EVENT: return "+DOC";
	case YAML_DOCUMENT_END_EVENT: return "-DOC";
	case YAML_MAPPING_START_EVENT: return "+MAP";
	case YAML_MAPPING_END_EVENT: return "-MAP";
	case YAML_SEQUENCE_START_EVENT: return "+SEQ";
	case YAML_SEQUENCE_END_EVENT: return "-SEQ";
	case YAML_SCALAR_EVENT: return "=VAL";
	case YAML_ALIAS_EVENT: return "=ALI";
	default: return NULL;
	}
}

static PyObject *events(PyObject *self, PyObject *args)
{
	const char *data;
	Py_ssize_t len;
	yaml_parser_t parser;
	yaml_event_t ev;
	PyObject *list, *item;
	int done = 0;

	(void)self;
	if (!PyArg_ParseTuple(args, "y#", &data, &len))
		return NULL;
	if (!(list = PyList_New(0)))
		return NULL;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, (size_t)len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			PyErr_Format(PyExc_ValueError, "%zu:%zu: %s",
			             parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			             parser.problem ? parser.problem : "parse error");
			Py_CLEAR(list);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		if (!kind(ev.type)) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_SCALAR_EVENT)
			item = Py_BuildValue("(ss#nn)", kind(ev.type), ev.data.scalar.value,
			                     (Py_ssize_t)ev.data.scalar.length,
			                     (Py_ssize_t)ev.start_mark.line + 1,
			                     (Py_ssize_t)ev.start_mark.column + 1);
		else if (ev.type == YAML_ALIAS_EVENT)
			item = Py_BuildValue("(ssnn)", kind(ev.type), ev.data.alias.anchor,
			                     (Py_ssize_t)ev.start_mark.line + 1,
			                     (Py_ssize_t)ev.start_mark.column + 1);
		else
			item = Py_BuildValue("(sOnn)", kind(ev.type), Py_None,
			                     (Py_ssize_t)ev.start_mark.line + 1,
			                     (Py_ssize_t)ev.start_mark.column + 1);
		yaml_event_delete(&ev);
		if (!item || PyList_Append(list, item) < 0) {
			Py_XDECREF(item);
			Py_CLEAR(list);
			break;
		}
		Py_DECREF(item);
	}
	yaml_parser_delete(&parser);
	return list;
}

static PyMethodDef methods[] = {
	{"version", version, METH_NOARGS, "libyaml's version string."},
	{"events", events, METH_VARARGS, "The event stream of a YAML document."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "yamlcat._cyaml", "libyaml's event parser.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__cyaml(void)
{
	return PyModule_Create(&module);
}
