{{/* Names and labels shared by every object of the chart. */}}
{{- define "tcpstate-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tcpstate-exporter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tcpstate-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tcpstate-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tcpstate-exporter.labels" -}}
{{ include "tcpstate-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tcpstate-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tcpstate-exporter.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Whether an opt-in collector that walks every process of the host is on. */}}
{{- define "tcpstate-exporter.hostProcesses" -}}
{{- if or .Values.collectors.processes.enabled .Values.collectors.netns.enabled -}}true{{- end -}}
{{- end -}}
