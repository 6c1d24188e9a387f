import Mustache

/// The console's Mustache templates, compiled into the binary (nothing to deploy beside it). Every
/// page extends `layout`; `{{…}}` escapes for HTML, so a customer's name or a partner's text can
/// never become markup. The words come from the page's language as `w`.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in templates {
            do { try library.register(text, named: name) } catch {
                preconditionFailure("The console template \(name) does not compile: \(error)")
            }
        }
        return library
    }()

    /// The console's one script, a progressive enhancement: every page works without it. In the
    /// tier editor (a form marked `data-live-preview`) the preview of who moves follows the fields
    /// as they are edited: the form is posted as *Preview* would post it, 400 ms after the last
    /// keystroke, and the answer's preview section replaces the page's (an answer overtaken by a
    /// later edit is dropped).
    static let script = """
        "use strict";
        document.addEventListener("DOMContentLoaded", () => {
          const form = document.querySelector("form[data-live-preview]");
          const region = document.getElementById("preview");
          if (!form || !region) return;
          let timer = 0, sent = 0;
          form.addEventListener("input", () => {
            clearTimeout(timer);
            timer = setTimeout(async () => {
              const mine = ++sent;
              const body = new URLSearchParams(new FormData(form));
              body.set("action", "preview");
              try {
                const answer = await fetch(form.getAttribute("action"), { method: "POST", body, credentials: "same-origin" });
                if (!answer.ok || mine !== sent) return;
                const page = new DOMParser().parseFromString(await answer.text(), "text/html");
                const fresh = page.getElementById("preview");
                if (fresh && mine === sent) region.replaceChildren(...fresh.childNodes);
              } catch (error) { /* the Preview button still works */ }
            }, 400);
          });
        });
        """

    static let templates: [String: String] = [
        "layout": """
        <!doctype html><html lang="{{lang}}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · {{w.title}}</title><style>{{{style}}}</style>
        <script src="/console/console.js" defer></script></head>
        <body><header><strong>{{w.title}}</strong></header><main>{{$main}}{{/main}}</main></body></html>
        """,
        "csrf": #"<input type="hidden" name="csrf" value="{{csrf}}">"#,
        "back": #"<p>{{#links}}<a href="{{href}}">{{text}}</a>{{^last}} · {{/last}}{{/links}}</p>"#,
        "table": """
        <div style="overflow-x:auto"><table><tr>{{#head}}<th>{{.}}</th>{{/head}}</tr>\
        {{#rows}}<tr>{{#cells}}{{#href}}<td><a href="{{href}}">{{text}}</a></td>{{/href}}\
        {{^href}}<td data-column="{{column}}">{{text}}</td>{{/href}}{{/cells}}{{#form}}<td>{{>form}}</td>{{/form}}</tr>{{/rows}}\
        </table></div>
        """,
        "form": """
        <form method="post" action="{{action}}">{{>csrf}}{{#nonce}}<input type="hidden" name="nonce" value="{{nonce}}">{{/nonce}}\
        <button type="submit">{{button}}</button></form>
        """,
        "fields": """
        <fieldset>{{#fields}}<div><label for="{{id}}">{{label}}</label>\
        {{#select}}<select id="{{id}}" name="{{name}}">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/options}}</select>{{/select}}\
        {{^select}}<input id="{{id}}" name="{{name}}" value="{{value}}"{{#type}} type="{{type}}"{{/type}}{{#required}} required{{/required}}>{{/select}}\
        </div>{{/fields}}</fieldset>
        """,
        "chart": """
        {{#has_bars}}<svg role="img" aria-label="{{label}}" viewBox="0 0 480 {{height}}" width="100%" style="max-width:480px">\
        {{/has_bars}}{{#bars}}<text x="0" y="{{text_y}}" font-size="13">{{name}}</text>\
        <rect x="{{left}}" y="{{rect_y}}" width="{{width}}" height="18" fill="#0b3d5c"/>\
        <text x="{{value_x}}" y="{{text_y}}" font-size="13">{{value}}</text>{{/bars}}{{#has_bars}}</svg>{{/has_bars}}\
        {{^has_bars}}<p>{{empty}}</p>{{/has_bars}}
        """,
        "message": """
        {{<layout}}{{$main}}<p role="alert">{{message}}</p>{{#back}}<p><a href="{{back}}">{{w.back}}</a></p>{{/back}}\
        {{/main}}{{/layout}}
        """,
        "list": """
        {{<layout}}{{$main}}<h1>{{title}}</h1>{{>back}}{{#table}}{{>table}}{{/table}}\
        {{#create}}<h2>{{heading}}</h2><form method="post" action="{{action}}">{{>csrf}}{{>fields}}\
        <p><button type="submit">{{w.create}}</button></p></form>{{/create}}{{/main}}{{/layout}}
        """,
        "sign-in": """
        {{<layout}}{{$main}}<h1>{{w.sign_in}}</h1>{{#error}}<p role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/console/sign-in">
        <label for="tenant">{{w.tenant}}</label><input id="tenant" name="tenant" required>
        <label for="email">{{w.email}}</label><input id="email" name="email" type="email" required>
        <label for="password">{{w.password}}</label>
        <input id="password" name="password" type="password" required>
        <label for="language">{{w.language}}</label>
        <select id="language" name="language"><option value="en"{{^zh}} selected{{/zh}}>English</option>
        <option value="zh"{{#zh}} selected{{/zh}}>简体中文</option></select>
        <p><button type="submit">{{w.sign_in}}</button></p></form>{{/main}}{{/layout}}
        """,
        "overview": """
        {{<layout}}{{$main}}<h1>{{w.overview}}</h1>
        <p>{{w.signed_in_as}}: <strong>{{role}}</strong> · {{tenant}} · {{w.computed}} {{computed}} ({{timezone}})</p>
        <nav>{{#nav}}<a href="{{href}}">{{text}}</a>{{^last}} · {{/last}}{{/nav}}</nav>
        <form method="post" action="/console/sign-out">{{>csrf}}<button type="submit">{{w.sign_out}}</button></form>
        <div class="cards">
        <section class="card"><h2>{{w.customers}}</h2><p class="figure" data-figure="customers">{{customers}}</p>\
        <p>{{w.buyers}}: {{buyers}}</p>
        <p>{{w.repurchase}}: <span data-figure="repurchase">{{repurchase}}</span></p></section>
        <section class="card"><h2>{{w.campaigns}}</h2><p class="figure">{{recovered}} / {{treated}}</p>
        <p>{{w.uplift}}: {{uplift}}</p></section>
        <section class="card"><h2>{{w.attendance}}</h2><p class="figure">{{attendance}}</p>
        <p>{{checked_in}} / {{registered}}</p></section>
        </div>
        <section><h2>{{w.tiers}}</h2>{{#tiers}}{{>chart}}{{/tiers}}</section>
        <section><h2>{{w.nps}}</h2>{{#nps}}{{>chart}}{{/nps}}</section>{{/main}}{{/layout}}
        """,
        "programs": """
        {{<layout}}{{$main}}<h1>{{w.programs}}</h1>{{>back}}
        <ul>{{#programs}}<li><a href="/console/programs/{{id}}/tiers">{{name}}</a></li>{{/programs}}</ul>{{/main}}{{/layout}}
        """,
        "tier-editor": """
        {{<layout}}{{$main}}<h1>{{w.tier_editor}}</h1>{{>back}}
        {{#chart}}<h2>{{w.tiers}}</h2>{{>chart}}{{/chart}}
        <section id="preview" aria-live="polite">{{#preview}}<h2>{{w.preview}}</h2><p>{{w.evaluated}}: \
        <span data-figure="evaluated">{{members}}</span></p>
        <table><tr><th>from</th><th>to</th><th>{{w.members}}</th></tr>{{#moves}}<tr><td>{{from}}</td><td>{{to}}</td>\
        <td data-move="{{key}}">{{count}}</td></tr>{{/moves}}</table>{{/preview}}</section>
        <form method="post" action="/console/programs/{{program}}/tiers"{{#may_preview}} data-live-preview{{/may_preview}}>\
        {{>csrf}}
        <p>{{#may_preview}}<button type="submit" name="action" value="preview">{{w.preview}}</button> {{/may_preview}}\
        {{#may_save}}<button type="submit" name="action" value="save">{{w.save}}</button>{{/may_save}}</p>\
        {{#tiers}}<fieldset><legend>{{legend}}</legend>{{#fields}}<div><label for="{{id}}">{{label}}</label>\
        <input id="{{id}}" name="{{name}}" value="{{value}}"></div>{{/fields}}</fieldset>{{/tiers}}\
        <p>{{#may_preview}}<button type="submit" name="action" value="preview">{{w.preview}}</button> {{/may_preview}}\
        {{#may_save}}<button type="submit" name="action" value="save">{{w.save}}</button>{{/may_save}}</p></form>\
        {{/main}}{{/layout}}
        """,
        "job": """
        {{<layout}}{{$main}}<h1>{{title}}</h1>
        <p role="status" data-job-state="{{state}}">{{state}}: {{done}} / {{total}}</p>
        {{#next}}<p><a href="{{next}}">{{w.back}}</a></p>{{/next}}{{/main}}{{/layout}}
        """,
        "campaign": """
        {{<layout}}{{$main}}<h1>{{title}}</h1>{{>back}}
        {{#state}}<p>{{w.state}}: <strong data-campaign-state="{{state}}">{{state}}</strong></p>{{/state}}\
        {{#launch}}{{>form}}{{/launch}}{{#preview}}{{>form}}{{/preview}}
        {{#audience}}<section aria-live="polite"><h2>{{w.preview_audience}}</h2>
        <p>{{w.audience}}: <strong data-figure="audience">{{size}}</strong></p>
        <p>{{w.excluded}}: {{w.no_consent}} {{no_consent}}, {{w.cool_down}} {{cool_down}}, \
        {{w.holdout_history}} {{holdout_history}}</p></section>{{/audience}}
        {{#results}}<h2>{{w.results}}</h2>
        <table><tr><th></th><th>{{w.recipients}}</th><th>{{w.sent}}</th><th>{{w.recovered}}</th><th>{{w.rate}}</th></tr>
        {{#groups}}<tr data-group="{{key}}"><td>{{label}}</td><td>{{recipients}}</td><td>{{sent}}</td>\
        <td data-figure="{{key}}-recovered">{{recovered}}</td><td>{{rate}}</td></tr>{{/groups}}
        </table>{{#uplift}}<svg role="img" aria-label="{{w.uplift}}: {{value}} ({{lower}} – {{upper}})" \
        viewBox="0 0 400 66" width="100%" style="max-width:400px">\
        <line x1="0" y1="45" x2="400" y2="45" stroke="#777"/>\
        <line x1="200" y1="5" x2="200" y2="45" stroke="#777" stroke-dasharray="3"/>\
        <text x="0" y="62" font-size="12">−50</text><text x="192" y="62" font-size="12">0</text>\
        <text x="372" y="62" font-size="12">+50</text>\
        <line x1="{{lower_x}}" y1="25" x2="{{upper_x}}" y2="25" stroke="#0b3d5c" stroke-width="4"/>\
        <circle cx="{{value_x}}" cy="25" r="6" fill="#0b3d5c"/></svg>
        <p data-figure="uplift">{{w.uplift}}: {{value}} pp [{{lower}}, {{upper}}]</p>{{/uplift}}\
        <p>{{verdict}}</p>{{/results}}{{/main}}{{/layout}}
        """,
        "customers": """
        {{<layout}}{{$main}}<h1>{{w.customers}}</h1>{{>back}}
        <form method="get" role="search"><label for="query">{{w.search}}</label>\
        <input id="query" name="query" value="{{query}}"> <button type="submit">{{w.search}}</button></form>\
        {{#table}}{{>table}}{{/table}}{{/main}}{{/layout}}
        """,
        "customer": """
        {{<layout}}{{$main}}<h1>{{title}}</h1>{{>back}}<dl>{{#facts}}<dt>{{term}}</dt><dd>{{value}}</dd>{{/facts}}</dl>
        <p>{{w.tags}}: {{tags}}</p>
        <h2>{{w.consents}}</h2>{{#consents}}{{>table}}{{/consents}}
        <h2>{{w.membership}}</h2>{{#memberships}}{{>table}}{{/memberships}}
        <h2>{{w.communities}}</h2>{{#communities}}{{>table}}{{/communities}}\
        {{#merge}}<form method="post" action="/console/customers/{{id}}/merge">{{>csrf}}\
        <label for="other">{{w.merge_other}}</label><input id="other" name="other_id" inputmode="numeric">\
        <button type="submit">{{w.merge}}</button></form>{{/merge}}\
        <h2>{{w.timeline}}</h2>{{#timeline}}{{>table}}{{/timeline}}{{/main}}{{/layout}}
        """,
        "member": """
        {{<layout}}{{$main}}<h1>{{title}}</h1>{{>back}}
        <p>{{w.tier}}: <strong>{{tier}}</strong> · {{w.balance}}: <strong data-figure="balance">{{balance}}</strong></p>
        {{#adjust}}<form method="post" action="/console/members/{{id}}/points">{{>csrf}}\
        <label for="points">{{w.points}}</label><input id="points" name="points" inputmode="numeric" required>\
        <label for="reason">{{w.reason}}</label><input id="reason" name="reason" required>\
        <p><button type="submit">{{w.adjust}}</button></p></form>{{/adjust}}
        <h2>{{w.ledger}}</h2>{{#ledger}}{{>table}}{{/ledger}}{{/main}}{{/layout}}
        """,
        "event": """
        {{<layout}}{{$main}}<h1>{{title}}</h1>{{>back}}
        <p>{{w.when}}: {{when}} · {{w.state}}: {{state}} · {{w.registered}}: {{registered}} / {{capacity}}</p>\
        {{#sections}}<h2>{{heading}}</h2>{{#table}}{{>table}}{{/table}}{{/sections}}{{/main}}{{/layout}}
        """,
        "community": """
        {{<layout}}{{$main}}<h1>{{title}}</h1>{{>back}}<p>{{description}}</p>
        <p>{{w.visibility}}: {{visibility}} · {{w.members}}: {{member_count}}</p>
        <h2>{{w.members}}</h2>{{#members}}{{>table}}{{/members}}
        <h2>{{w.events_title}}</h2>{{#events}}{{>table}}{{/events}}{{/main}}{{/layout}}
        """,
        "touchpoints": """
        {{<layout}}{{$main}}<h1>{{w.touchpoints}}</h1>{{>back}}
        <p>{{w.quiet_hours}}: {{quiet_start}}–{{quiet_end}}</p>{{#rules}}{{>table}}{{/rules}}
        {{#edit}}<h2>{{w.edit_rules}}</h2><form method="post" action="/console/touchpoints">{{>csrf}}
        <fieldset><div><label for="quiet-start">{{w.quiet_from}}</label>\
        <input id="quiet-start" name="quiet_start" value="{{quiet_start}}" pattern="[0-2][0-9]:[0-5][0-9]"></div>\
        <div><label for="quiet-end">{{w.quiet_until}}</label>\
        <input id="quiet-end" name="quiet_end" value="{{quiet_end}}" pattern="[0-2][0-9]:[0-5][0-9]"></div></fieldset>\
        {{#rows}}<fieldset><legend>{{legend}}</legend>{{#fields}}<div><label for="{{id}}">{{label}}</label>\
        <input id="{{id}}" name="{{name}}" value="{{value}}"></div>{{/fields}}</fieldset>{{/rows}}\
        <p>{{w.rule_blank}}</p><p><button type="submit">{{w.save}}</button></p></form>{{/edit}}
        <h2>{{w.due_next}} ({{pending}})</h2>{{#due}}{{>table}}{{/due}}{{/main}}{{/layout}}
        """,
    ]
}
