output "name" {
  description = "Region name (as in the deployment file)."
  value       = var.name
}

output "instance_id" {
  description = "EC2 instance running nats-server and globaltabled."
  value       = aws_instance.this.id
}

output "private_ip" {
  description = "The instance's private IPv4 address."
  value       = aws_instance.this.private_ip
}

output "availability_zone" {
  description = "Availability zone of the instance and its data volume."
  value       = data.aws_subnet.this.availability_zone
}

output "data_volume_id" {
  description = "Encrypted EBS volume holding RocksDB and JetStream; it outlives instance replacement."
  value       = aws_ebs_volume.data.id
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.this.id
}

output "api_endpoint" {
  description = "DynamoDB API endpoint of this region (for --endpoint-url)."
  value       = "http://${var.endpoint_host}:${var.ports.api}"
}

output "admin_endpoint" {
  description = "Admin API endpoint of this region (/metrics, replication status, write mode)."
  value       = "http://${var.endpoint_host}:${var.ports.admin}"
}
