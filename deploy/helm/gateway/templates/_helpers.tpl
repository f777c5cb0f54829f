{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: <release>-<chart>, or the release name if it contains the chart name. */}}
{{- define "gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selects the serving pods only (Job pods carry another component). */}}
{{- define "gateway.serverSelectorLabels" -}}
{{ include "gateway.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "gateway.labels" -}}
helm.sh/chart: {{ include "gateway.chart" . }}
{{ include "gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The ServiceAccount of the Deployment. */}}
{{- define "gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Hook Jobs run before the chart's regular resources exist, so they read hook copies of the
ConfigMap and (chart-created) Secret, and a ServiceAccount only when it already exists.
*/}}
{{- define "gateway.hookName" -}}
{{- printf "%s-hook" (include "gateway.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of the Secret regular resources read. */}}
{{- define "gateway.secretName" -}}
{{- default (include "gateway.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/* Name of the Secret hook Jobs read: the existing one, or the hook copy of the created one. */}}
{{- define "gateway.hookSecretName" -}}
{{- default (include "gateway.hookName" .) .Values.secret.existingSecret }}
{{- end }}

{{/* The public URL: gateway.publicUrl, else derived from the first ingress host. */}}
{{- define "gateway.publicUrl" -}}
{{- if .Values.gateway.publicUrl }}
{{- .Values.gateway.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) $host }}
{{- end }}
{{- end }}

{{/* The rendered gateway.yaml. */}}
{{- define "gateway.configFile" -}}
{{ toYaml .Values.gateway.config }}
{{- end }}

{{/*
Fails the render on combinations the schema cannot express; included by the Deployment so every
`helm template` / `helm install` runs it.
*/}}
{{- define "gateway.validate" -}}
{{- $s := .Values.secret }}
{{- if and (not $s.existingSecret) (not $s.create) }}
{{- fail "secret: set secret.existingSecret to a Secret you manage, or secret.create: true with secret.databaseUrl" }}
{{- end }}
{{- if and $s.existingSecret (or $s.databaseUrl $s.bootstrapAdminPassword) }}
{{- fail "secret: secret.databaseUrl / secret.bootstrapAdminPassword are ignored when secret.existingSecret is set; put them in that Secret instead" }}
{{- end }}
{{- if and .Values.bootstrapAdminJob.enabled (not $s.existingSecret) (not $s.bootstrapAdminPassword) }}
{{- fail "bootstrapAdminJob.enabled needs secret.bootstrapAdminPassword (or secret.existingSecret holding it)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- $grace := int (dig "server" "shutdown_grace_seconds" 20 .Values.gateway.config) }}
{{- if le (int .Values.terminationGracePeriodSeconds) $grace }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed gateway.config.server.shutdown_grace_seconds (%d)" (int .Values.terminationGracePeriodSeconds) $grace) }}
{{- end }}
{{- end }}

{{/* Environment shared by every gateway container. */}}
{{- define "gateway.env" -}}
- name: GATEWAY_CONFIG
  value: /etc/gateway/gateway.yaml
- name: GATEWAY_BIND
  value: {{ printf "0.0.0.0:%d" (int .Values.containerPort) | quote }}
{{- with (include "gateway.publicUrl" .) }}
- name: GATEWAY_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.gateway.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* GATEWAY_DATABASE_URL from the given Secret name. */}}
{{- define "gateway.databaseUrlEnv" -}}
- name: GATEWAY_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .root.Values.secret.keys.databaseUrl }}
{{- end }}

{{/* Pod-level settings shared by the Deployment and the Jobs. */}}
{{- define "gateway.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
