import Foundation
import Hummingbird

/// The console's pages: one layout, the words in the reader's language (English or Simplified
/// Chinese), numbers and times in the tenant's currency and zone, charts drawn as SVG by the server.
/// No script is needed to use them, and none comes from elsewhere.
struct ConsolePage {
    enum Language: String, Sendable {
        case en, zh

        init(_ text: String?) { self = text.flatMap(Language.init(rawValue:)) ?? .en }
    }

    static let words: [String: [Language: String]] = [
        "title": [.en: "Itinera console", .zh: "Itinera 控制台"],
        "sign_in": [.en: "Sign in", .zh: "登录"],
        "sign_out": [.en: "Sign out", .zh: "退出"],
        "tenant": [.en: "Tenant (its slug)", .zh: "租户（标识）"],
        "email": [.en: "E-mail", .zh: "电子邮箱"],
        "password": [.en: "Password", .zh: "密码"],
        "language": [.en: "Language", .zh: "语言"],
        "wrong": [.en: "The tenant, e-mail or password is wrong.", .zh: "租户、邮箱或密码不正确。"],
        "overview": [.en: "Overview", .zh: "概览"],
        "customers": [.en: "Customers", .zh: "客户"],
        "buyers": [.en: "Buyers", .zh: "购买客户"],
        "repurchase": [.en: "Repurchase rate", .zh: "复购率"],
        "tiers": [.en: "Members by tier", .zh: "各等级会员"],
        "nps": [.en: "NPS by month", .zh: "每月 NPS"],
        "campaigns": [.en: "Win-back recovery", .zh: "召回成效"],
        "uplift": [.en: "Uplift over the hold-out", .zh: "相对对照组的提升"],
        "attendance": [.en: "Event attendance", .zh: "活动出席率"],
        "computed": [.en: "Figures as of", .zh: "数据更新于"],
        "signed_in_as": [.en: "Signed in as", .zh: "当前角色"],
        "forbidden": [.en: "Your role may not do this.", .zh: "您的角色无权执行此操作。"],
        "preview": [.en: "Preview who moves", .zh: "预览等级变动"],
        "save": [.en: "Save", .zh: "保存"],
        "evaluated": [.en: "Members evaluated", .zh: "评估会员数"],
        "members": [.en: "Members", .zh: "会员"],
        "back": [.en: "Back", .zh: "返回"],
        "programs": [.en: "Programmes", .zh: "会员计划"],
        "no_tier": [.en: "(no tier)", .zh: "（无等级）"],
        "tier_editor": [.en: "Tier editor", .zh: "等级编辑"],
        "campaigns_title": [.en: "Campaigns", .zh: "营销活动"],
        "orders": [.en: "Orders", .zh: "订单"],
        "spent": [.en: "Spent", .zh: "消费金额"],
        "search": [.en: "Search", .zh: "搜索"],
        "when": [.en: "When", .zh: "时间"],
        "kind": [.en: "Kind", .zh: "类型"],
        "tags": [.en: "Tags", .zh: "标签"],
        "consents": [.en: "Consents", .zh: "授权"],
        "timeline": [.en: "Timeline", .zh: "时间线"],
        "complaints": [.en: "Complaints", .zh: "投诉"],
        "severity": [.en: "Severity", .zh: "严重程度"],
        "category": [.en: "Category", .zh: "类别"],
        "first_response_due": [.en: "First response due", .zh: "首次响应截止"],
        "first_response_late": [.en: "Late", .zh: "已超时"],
        "resolution_due": [.en: "Resolution due", .zh: "解决截止"],
        "resolution_late": [.en: "Late", .zh: "已超时"],
        "late_only": [.en: "Late only", .zh: "仅超时"],
        "audit": [.en: "Audit log", .zh: "审计日志"],
        "webhooks": [.en: "Webhook endpoints", .zh: "Webhook 端点"],
        "events": [.en: "Events", .zh: "事件"],
        "failing_since": [.en: "Failing since", .zh: "失败开始于"],
        "deliveries": [.en: "Delivery log", .zh: "投递记录"],
        "replay": [.en: "Send again", .zh: "重新发送"],
        "attempts": [.en: "Attempts", .zh: "尝试次数"],
        "error": [.en: "Error", .zh: "错误"],
        "delivered": [.en: "Delivered", .zh: "已送达"],
        "api_keys": [.en: "API keys", .zh: "API 密钥"],
        "last_used": [.en: "Last used", .zh: "最近使用"],
        "expires": [.en: "Expires", .zh: "到期"],
        "users": [.en: "Users", .zh: "用户"],
        "preview_audience": [.en: "Preview the audience", .zh: "预览受众"],
        "audience": [.en: "Audience", .zh: "受众"],
        "excluded": [.en: "Left out", .zh: "已排除"],
        "no_consent": [.en: "no consent", .zh: "未授权"],
        "cool_down": [.en: "cooling down", .zh: "冷却期"],
        "holdout_history": [.en: "held out before", .zh: "曾为对照组"],
        "check_in": [.en: "Check in", .zh: "签到"],
        "new_campaign": [.en: "New win-back campaign", .zh: "新建召回活动"],
        "lapsed_min": [.en: "Days since the last order, at least", .zh: "距上次下单至少天数"],
        "lapsed_max": [.en: "And at most", .zh: "至多天数"],
        "holdout_percent": [.en: "Held out (%)", .zh: "对照组比例（%）"],
        "attribution": [.en: "Attribution window (days)", .zh: "归因窗口（天）"],
        "gift": [.en: "Return gift", .zh: "回归礼"],
        "create": [.en: "Create", .zh: "创建"],
        "membership": [.en: "Membership", .zh: "会员资格"],
        "points": [.en: "Points", .zh: "积分"],
        "balance": [.en: "Balance", .zh: "余额"],
        "reason": [.en: "Reason", .zh: "原因"],
        "adjust": [.en: "Adjust points", .zh: "调整积分"],
        "tier": [.en: "Tier", .zh: "等级"],
        "ledger": [.en: "Points ledger", .zh: "积分明细"],
        "merge": [.en: "Merge", .zh: "合并"],
        "merge_other": [.en: "Merge another customer (id) into this one", .zh: "将另一位客户（ID）合并到此客户"],
        "events_title": [.en: "Events", .zh: "活动"],
        "title_column": [.en: "Title", .zh: "标题"],
        "capacity": [.en: "Capacity", .zh: "名额"],
        "registered": [.en: "Registered", .zh: "已报名"],
        "check_in_list": [.en: "Check-in list", .zh: "签到名单"],
        "waiting_list": [.en: "Waiting list", .zh: "候补名单"],
        "customer": [.en: "Customer", .zh: "客户"],
        "position": [.en: "Position", .zh: "顺位"],
        "checked_in": [.en: "Checked in", .zh: "已签到"],
        "offers": [.en: "Offers", .zh: "优惠"],
        "benefit": [.en: "Benefit", .zh: "权益"],
        "redeemed": [.en: "Redeemed", .zh: "已核销"],
        "touchpoints": [.en: "Trip touchpoints", .zh: "行程关怀触点"],
        "quiet_hours": [.en: "Quiet hours", .zh: "免打扰时段"],
        "due_next": [.en: "Due next", .zh: "即将发送"],
        "action": [.en: "Action", .zh: "操作"],
        "actor": [.en: "By", .zh: "操作者"],
        "target": [.en: "On", .zh: "对象"],
        "name": [.en: "Name", .zh: "名称"],
        "state": [.en: "State", .zh: "状态"],
        "launch": [.en: "Launch", .zh: "启动"],
        "results": [.en: "Results", .zh: "效果"],
        "recipients": [.en: "Recipients", .zh: "接收人"],
        "sent": [.en: "Sent", .zh: "已发送"],
        "recovered": [.en: "Recovered", .zh: "已召回"],
        "rate": [.en: "Rate", .zh: "比例"],
        "treated": [.en: "Treated", .zh: "实验组"],
        "holdout": [.en: "Hold-out", .zh: "对照组"],
        "no_answers": [.en: "No answers yet.", .zh: "暂无回答。"],
        "communities": [.en: "Communities", .zh: "私域社群"],
        "visibility": [.en: "Who may join", .zh: "加入方式"],
        "new_community": [.en: "New community", .zh: "新建社群"],
        "description": [.en: "Description", .zh: "简介"],
        "program_id": [.en: "Programme (id)", .zh: "会员计划（ID）"],
        "joined": [.en: "Joined", .zh: "加入时间"],
        "source": [.en: "How", .zh: "来源"],
        "new_event": [.en: "New event", .zh: "新建活动"],
        "starts": [.en: "Starts", .zh: "开始"],
        "ends": [.en: "Ends", .zh: "结束"],
        "location": [.en: "Place", .zh: "地点"],
        "waitlist_capacity": [.en: "Waiting list places", .zh: "候补名额"],
        "community_id": [.en: "Community (id)", .zh: "社群（ID）"],
        "new_offer": [.en: "New offer", .zh: "新建优惠"],
        "code_prefix": [.en: "Code prefix (A–Z, 0–9)", .zh: "券码前缀（A–Z、0–9）"],
        "max_redemptions": [.en: "Redemptions at most", .zh: "最多核销次数"],
        "new_rule": [.en: "New rule", .zh: "新规则"],
        "edit_rules": [.en: "Edit the rules", .zh: "编辑规则"],
        "quiet_from": [.en: "Quiet from", .zh: "免打扰开始"],
        "quiet_until": [.en: "Quiet until", .zh: "免打扰结束"],
        "rule_blank": [
            .en:
                "A rule with an empty code is removed. Phase: pre, in or post; anchor: start or end (empty: by phase).",
            .zh: "代码留空的规则将被删除。阶段：pre、in 或 post；锚点：start 或 end（留空则按阶段）。",
        ],
    ]

    let language: Language
    /// The tenant's clock and currency, which every time and amount is shown in.
    var zone: TimeZone = .gmt
    var currency: String = "CNY"

    func word(_ key: String) -> String { Self.words[key]?[language] ?? key }

    /// Every word in this page's language, as the templates read them (`{{w.save}}`).
    static let tables: [Language: [String: String]] = Dictionary(
        uniqueKeysWithValues: [Language.en, .zh].map { language in
            (language, words.mapValues { $0[language] ?? "" })
        })

    /// The page `template` renders with `context`, in the layout: title, words and language added.
    func response(
        _ template: String, title: String, _ context: [String: Any] = [:], status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:]
    ) -> Response {
        var context = context
        context["w"] = Self.tables[language] ?? [:]
        context["lang"] = language == .zh ? "zh-Hans" : "en"
        context["zh"] = language == .zh
        context["title"] = title
        context["style"] = Self.style
        let html = ConsoleTemplates.library.render(context, withTemplate: template) ?? ""
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page saying `message` (a refusal, a problem), with a link `back` when there is one.
    func message(_ message: String, title: String, back: String? = nil, status: HTTPResponse.Status) -> Response {
        var context: [String: Any] = ["message": message]
        if let back { context["back"] = back }
        return response("message", title: title, context, status: status)
    }

    /// Links for the `back` partial: (href, text) pairs, the last one marked.
    static func links(_ pairs: [(String, String)]) -> [String: Any] {
        [
            "links": pairs.enumerated().map { index, pair in
                ["href": pair.0, "text": pair.1, "last": index == pairs.count - 1] as [String: Any]
            }
        ]
    }

    /// A table of the API's `items` for the `table` partial (`ConsoleTable.context`), with times
    /// on the tenant's clock and amounts in minor units (`…_minor`) in the tenant's currency.
    func table(
        _ items: [[String: Any]], columns: [(String, String)], link: (([String: Any]) -> String?)? = nil,
        form: (([String: Any]) -> [String: Any]?)? = nil
    ) -> [String: Any] {
        ConsoleTable.context(items, columns: columns, link: link, form: form, shown: shower())
    }

    /// How the page shows a value of the API's (`shower()(text, path)`): a time (`…Z`) on the
    /// tenant's clock, an amount in minor units (a path ending `_minor`) in the tenant's currency,
    /// anything else as it is. Its formatters are made once, for every value of a table or list.
    func shower() -> (String, String) -> String {
        let money = NumberFormatter()
        money.numberStyle = .currency
        money.locale = Locale(identifier: language == .zh ? "zh_CN" : "en_US")
        money.currencyCode = currency
        let time = DateFormatter()
        time.locale = Locale(identifier: "en_US_POSIX")
        time.timeZone = zone
        time.dateFormat = "yyyy-MM-dd HH:mm"
        return { text, path in
            if path.hasSuffix("_minor"), let minor = Int64(text) {
                var amount = Decimal(minor)
                for _ in 0..<money.maximumFractionDigits { amount /= 10 }
                return money.string(from: amount as NSDecimalNumber) ?? text
            }
            if text.count >= 20, text.hasSuffix("Z"), let date = ConsoleTable.instant(text) {
                return time.string(from: date)
            }
            return text
        }
    }

    /// The back link to the overview.
    var toOverview: [String: Any] { Self.links([("/console", word("overview"))]) }

    /// Dark text on light ground (contrast above 7:1), a visible focus ring, one column on a phone.
    static let style = """
        body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
        header{padding:.75rem 1rem;background:#0b3d5c;color:#fff}main{padding:1rem;max-width:60rem;margin:auto}
        label{display:block;margin:.5rem 0 .2rem}input,select,button{font:inherit;padding:.4rem;min-width:12rem}
        button{background:#0b3d5c;color:#fff;border:0;border-radius:.25rem;cursor:pointer}
        :focus{outline:3px solid #e0a000;outline-offset:2px}.cards{display:flex;flex-wrap:wrap;gap:1rem}
        .card{border:1px solid #ccc;border-radius:.4rem;padding:.75rem;flex:1 1 14rem}
        .figure{font-size:1.6rem;font-weight:bold}[role=alert]{color:#8a0000;font-weight:bold}
        fieldset{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.25rem 1rem;margin:.5rem 0}
        fieldset input{min-width:0;width:100%;box-sizing:border-box}table{border-collapse:collapse}
        td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
        """

    /// A horizontal bar chart of `bars` (label, value) for the `chart` partial, drawn on the server:
    /// the labels get the room the longest needs, the bars the rest. Without bars, `empty` says so.
    static func chart(_ bars: [(String, Int)], label: String, empty: String = "–") -> [String: Any] {
        let widest = max(bars.map(\.1).max() ?? 1, 1)
        let labelWidth = min(max(bars.map { $0.0.count }.max() ?? 0, 4) * 8 + 8, 240)
        let room = Double(480 - labelWidth - 50)
        let rows = bars.enumerated().map { index, bar -> [String: Any] in
            let width = Double(bar.1) / Double(widest) * room
            return [
                "name": bar.0, "value": bar.1, "left": labelWidth, "text_y": index * 28 + 17, "rect_y": index * 28 + 4,
                "width": String(format: "%.1f", width),
                "value_x": String(format: "%.1f", Double(labelWidth) + width + 6),
            ]
        }
        return ["bars": rows, "has_bars": !rows.isEmpty, "height": bars.count * 28, "label": label, "empty": empty]
    }
}
