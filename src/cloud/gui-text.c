/* nemorender cloud client: the agent's GUI wording, translated.
 *
 * The agent writes as if the user had the service's editor in front of
 * them ("Click Export to download", "点击导出").  A pipeline user has none:
 * each sentence that tells them to use the GUI is replaced, whole, by what
 * the element does instead (the table in docs/protocol.md, The chat stream;
 * English and Chinese).  The first rule that matches a sentence wins, so
 * "click Export" is an export, not a generic click; a replacement already
 * said is not said twice.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cloud-private.h"

#include <string.h>

typedef struct
{
  const gchar *pattern;         /* GRegex, case-insensitive */
  const gchar *replacement;
  CloudGuiActions actions;
} GuiRule;

static const GuiRule gui_rules[] = {
  {"\\bexport button\\b|\\b(click|press|tap|hit|select|use)\\b[^.!?\\n]*"
        "\\bexport\\b",
      "The element exports and downloads it for you.", CLOUD_GUI_NONE},
  {"导出", "nemorender 会自动导出并下载视频。", CLOUD_GUI_NONE},
  {"\\bdrag(ging|ged|s)?\\b|\\bdrop\\b[^.!?\\n]*\\b(onto|into)\\b",
        "To change it, describe the edit in the prompt: it is sent to the "
        "agent as a chat message.", CLOUD_GUI_NONE},
  {"拖拽|拖动|拖放", "如需修改，请在提示词里描述，它会作为消息发送给智能体。",
      CLOUD_GUI_NONE},
  {"\\bpreview\\b[^.!?\\n]*\\btimeline\\b|\\btimeline preview\\b",
      "The element reads the timeline and posts its track summary.",
      CLOUD_GUI_READ_STATE},
  {"预览", "nemorender 会读取时间线并给出轨道摘要。", CLOUD_GUI_READ_STATE},
  {"\\bopen\\b[^.!?\\n]*\\b(panel|tab|menu|window|editor|settings|library|"
        "sidebar|inspector|properties|dialog|timeline)\\b",
      "The element reads the session state for you.", CLOUD_GUI_READ_STATE},
  {"打开", "nemorender 会为你读取会话状态。", CLOUD_GUI_READ_STATE},
  {"\\b(click|tap|press)\\b",
      "The element does this through the service's API for you.",
      CLOUD_GUI_NONE},
  {"点击|单击", "nemorender 会通过 API 替你完成这一步。", CLOUD_GUI_NONE},
};

static const gchar *const list_markers[] = { "- ", "* ", "• " };

/* End of the sentence starting at @p: after its terminator, before a
 * newline, or a newline alone. */
static const gchar *
sentence_end (const gchar * p)
{
  if (*p == '\n')
    return p + 1;
  while (*p != '\0' && *p != '\n') {
    gunichar c = g_utf8_get_char (p);
    const gchar *next = g_utf8_next_char (p);

    if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F)      /* 。！？ */
      return next;
    if ((c == '.' || c == '!' || c == '?')
        && (*next == '\0' || *next == ' ' || *next == '\n'))
      return next;
    p = next;
  }
  return p;
}

static const GuiRule *
match_rule (GRegex ** regexes, const gchar * sentence)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (gui_rules); i++)
    if (g_regex_match (regexes[i], sentence, 0, NULL))
      return &gui_rules[i];
  return NULL;
}

/* The translated text; @actions: what it asks of the GUI that the client
 * does itself after the stream ("open [panel]", "preview in timeline"). */
gchar *
cloud_gui_translate (const gchar * text, CloudGuiActions * actions)
{
  GRegex *regexes[G_N_ELEMENTS (gui_rules)];
  GString *out = g_string_new (NULL);
  const gchar *p = text;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (gui_rules); i++)
    regexes[i] = g_regex_new (gui_rules[i].pattern, G_REGEX_CASELESS, 0, NULL);
  *actions = CLOUD_GUI_NONE;

  while (*p != '\0') {
    const gchar *end = sentence_end (p);
    g_autofree gchar *sentence = g_strndup (p, end - p);
    const gchar *core = sentence + strspn (sentence, " \t");
    const GuiRule *rule = match_rule (regexes, core);
    gsize marker = 0;

    p = end;
    if (rule == NULL) {
      g_string_append (out, sentence);
      continue;
    }
    *actions |= rule->actions;
    if (strstr (out->str, rule->replacement) != NULL)
      continue;                 /* said already */
    for (i = 0; i < G_N_ELEMENTS (list_markers); i++)
      if (g_str_has_prefix (core, list_markers[i]))
        marker = strlen (list_markers[i]);
    g_string_append_len (out, sentence, core - sentence + marker);
    g_string_append (out, rule->replacement);
  }

  for (i = 0; i < G_N_ELEMENTS (gui_rules); i++)
    g_regex_unref (regexes[i]);
  return g_string_free (out, FALSE);
}

gchar *
nemo_cloud_translate_gui_text (const gchar * text)
{
  CloudGuiActions actions;

  g_return_val_if_fail (text != NULL, NULL);
  return cloud_gui_translate (text, &actions);
}
