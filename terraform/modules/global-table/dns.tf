# Route 53 (global, reached through slot r1): one A record per region, and one weighted A
# record per region under the global API name. A drill moves traffic by changing
# traffic_weights, which changes only these records.

locals {
  dns_names = var.dns == null ? [] : local.names
}

resource "aws_route53_record" "region" {
  provider = aws.r1
  for_each = toset(local.dns_names)
  zone_id  = var.dns.zone_id
  name     = "${each.key}.${var.dns.domain}"
  type     = "A"
  ttl      = var.dns.ttl
  records  = [local.public_ip[each.key]]
}

resource "aws_route53_health_check" "api" {
  provider          = aws.r1
  for_each          = toset(try(var.dns.health_checks, false) ? local.dns_names : [])
  type              = "TCP"
  ip_address        = local.public_ip[each.key]
  port              = var.ports.api
  failure_threshold = 3
  request_interval  = 10
  tags              = merge(local.tags, { Name = "globaltable-${each.key}-api" })
}

resource "aws_route53_record" "global" {
  provider        = aws.r1
  for_each        = toset(local.dns_names)
  zone_id         = var.dns.zone_id
  name            = "${var.dns.global_name}.${var.dns.domain}"
  type            = "A"
  ttl             = var.dns.ttl
  records         = [local.public_ip[each.key]]
  set_identifier  = each.key
  health_check_id = try(aws_route53_health_check.api[each.key].id, null)

  weighted_routing_policy {
    weight = lookup(var.traffic_weights, each.key, 100)
  }

  lifecycle {
    precondition {
      condition     = length(setsubtract(keys(var.traffic_weights), local.names)) == 0
      error_message = "traffic_weights names regions that are not in var.regions: ${join(", ", setsubtract(keys(var.traffic_weights), local.names))}."
    }
  }
}
